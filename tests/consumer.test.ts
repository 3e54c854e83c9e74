/**
 * An application outside this repository: the publishable packages packed with `bun pm pack`,
 * installed with `bun add` into a project in a temp dir, which brings its own registry (a task
 * board: projects, tasks, DEPENDS_ON, an aggregate), runs `bunx sync-server --templates
 * ./registry.ts`, two application processes of its own that write and converge, and
 * `bunx sync-client templates` and `send` against it. Nothing here imports from the repository at run time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnCommand } from "./support/command-process.ts";
import { createConsumerProject, packWorkspace, REPO_ROOT, tarballContents, type ConsumerProject, type PackedPackage } from "./support/consumer-project.ts";
import { headAfter } from "./support/log-start.ts";

const PUBLISHED = ["@kuzu-sync/protocol", "@kuzu-sync/client", "@kuzu-sync/sync-server", "@kuzu-sync/archiver"];
const BINS: Record<string, string> = { "@kuzu-sync/sync-server": "sync-server", "@kuzu-sync/client": "sync-client", "@kuzu-sync/archiver": "sync-archiver" };

let packDir: string;
let packed: PackedPackage[];
let project: ConsumerProject;
beforeAll(() => {
  packDir = mkdtempSync(join(tmpdir(), "kuzu-sync-pack-"));
  packed = packWorkspace(packDir);
  project = createConsumerProject(packed, PUBLISHED, {
    "registry.ts": resolve(import.meta.dir, "support/registries/task-board.ts"),
    "task-app.ts": resolve(import.meta.dir, "support/consumer/task-app.ts"),
  });
}, 300_000);
afterAll(() => {
  project?.[Symbol.dispose]();
  if (packDir) rmSync(packDir, { recursive: true, force: true });
});

describe("the packed packages", () => {
  test("every publishable package and what it depends on is packed", () => {
    const names = packed.map((p) => p.name);
    for (const name of PUBLISHED) expect(names).toContain(name);
    for (const p of packed) {
      for (const dep of Object.keys(tarballContents(p.tarball).manifest["dependencies"] as Record<string, string>)) {
        if (dep.startsWith("@kuzu-sync/")) expect(names, `${p.name} depends on ${dep}`).toContain(dep);
      }
    }
  });

  test("manifests: real versions (no workspace:), files, exports with types, bins, MIT license; LICENSE and README inside; no tests", () => {
    for (const p of packed) {
      const { files, manifest } = tarballContents(p.tarball);
      const where = p.name;
      expect(JSON.stringify(manifest), where).not.toContain("workspace:");
      for (const [dep, range] of Object.entries(manifest["dependencies"] as Record<string, string>)) {
        expect(range, `${where} -> ${dep}`).toMatch(/^\d+\.\d+\.\d+$/);
        if (dep.startsWith("@kuzu-sync/")) expect(range, `${where} -> ${dep}`).toBe(packed.find((q) => q.name === dep)!.version);
      }
      expect(manifest["license"], where).toBe("MIT");
      expect(manifest["files"], where).toContain("src");
      expect(files, where).toEqual(expect.arrayContaining(["package.json", "LICENSE", "README.md", "src/index.ts"]));
      expect(files.filter((f) => f.endsWith(".test.ts")), where).toEqual([]);
      expect(Bun.spawnSync(["tar", "-xzOf", p.tarball, "package/LICENSE"]).stdout.toString(), where).toBe(readFileSync(join(REPO_ROOT, "LICENSE"), "utf8"));
      const main = (manifest["exports"] as Record<string, { types: string; default: string }>)["."];
      // A package with a browser build names it first (bundlers pick the first condition they know).
      const browser = files.includes("src/index.browser.ts") ? { browser: "./src/index.browser.ts" } : {};
      expect(main, where).toEqual({ ...browser, types: "./src/index.ts", default: "./src/index.ts" });
      expect(Object.keys(main ?? {})[0], where).toBe(Object.keys(browser)[0] ?? "types");
      const bin = BINS[p.name];
      if (bin !== undefined) {
        const target = (manifest["bin"] as Record<string, string>)[bin]!;
        expect(files, where).toContain(target.replace(/^\.\//, ""));
      }
    }
  });
});

describe("an application project outside the repository", () => {
  test("installs with bun add: its bins run, kuzu's native addon is in place, its registry passes sync-server check", async () => {
    expect(resolve(project.dir).startsWith(REPO_ROOT)).toBe(false);
    expect(existsSync(join(project.dir, "node_modules/kuzu/kuzujs.node"))).toBe(true);
    const version = await project.run(["bunx", "sync-client", "--version"]);
    expect(version.stdout.trim()).toBe(packed.find((p) => p.name === "@kuzu-sync/client")!.version);
    for (const bin of ["sync-server", "sync-archiver"]) {
      const help = await project.run(["bunx", bin, "--help"]);
      expect(help.code, `${bin} --help:\n${help.stderr}`).toBe(0);
    }
    const check = await project.run(["bunx", "sync-server", "check", "--templates", "./registry.ts", "--runs", "5"]);
    expect(check.stdout).toContain("registry ./registry.ts: 6 templates (5 with a batch form)");
    expect(check.stdout.trim().split("\n").at(-1)).toBe("the registry is sound");
    expect(check.code).toBe(0);
  });

  test("bunx sync-server serves the project's registry; two app processes and sync-client send write and converge", async () => {
    await using gateway = spawnCommand(["bunx", "sync-server", "--templates", "./registry.ts", "--port", "0", "--host", "127.0.0.1", "--data-dir", "./data"], {
      cwd: project.dir,
    });
    const listening = await gateway.waitForLine(/"body":"listening"/);
    const url = `ws://127.0.0.1:${(JSON.parse(listening) as { attributes: { port: number } }).attributes.port}`;

    await using a = spawnCommand(["bun", "task-app.ts", url, "a", "./a.kuzu"], { cwd: project.dir });
    await using b = spawnCommand(["bun", "task-app.ts", url, "b", "./b.kuzu"], { cwd: project.dir });
    const wrote = await Promise.all([a, b].map(async (app) => Number(/^wrote (\d+)$/.exec(await app.waitForLine(/^wrote \d+$/))![1])));

    const listed = await project.run(["bunx", "sync-client", "--url", url, "templates", "--json"]);
    expect(listed.code).toBe(0);
    const templates = JSON.parse(listed.stdout) as { name: string; params: { name: string; required: boolean }[] }[];
    expect(templates.map((t) => t.name)).toContain("ADD_DEPENDENCY");
    expect(templates.find((t) => t.name === "ADD_TASK")?.params.filter((p) => p.required).map((p) => p.name)).toEqual(["id", "projectId", "title"]);
    const human = await project.run(["bunx", "sync-client", "--url", url, "templates"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("ADD_TASK");

    const send = (...words: string[]) => project.run(["bunx", "sync-client", "--url", url, "send", ...words]);
    const task = await send("ADD_TASK", "id=cli1", "projectId=launch", "title=Written from the shell");
    expect(task.stderr).toBe("");
    expect(task.code).toBe(0);
    const dependency = await send("ADD_DEPENDENCY", "taskId=cli1", "dependsOn=a5");
    expect(dependency.code).toBe(0);
    const head = Math.max(...wrote, Number(task.stdout.trim()), Number(dependency.stdout.trim()));
    expect(head).toBe(headAfter(2 * 11 + 2)); // each app: 1 project, 5 tasks, 4 dependencies, 1 status; the CLI: 2

    for (const app of [a, b]) app.send(`go ${head}`);
    const states = await Promise.all([a, b].map(async (app) => JSON.parse((await app.waitForLine(/^state /)).slice("state ".length)) as Record<string, unknown>));
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    expect(states[1]).toEqual(states[0]!);
    const state = states[0]!;
    expect(state["seq"]).toBe(true);
    expect(state["projects"]).toEqual([{ id: "launch", name: "Launch" }]);
    const tasks = state["tasks"] as { id: string; status: string; project: string }[];
    expect(tasks.map((t) => t.id)).toEqual(["a1", "a2", "a3", "a4", "a5", "b1", "b2", "b3", "b4", "b5", "cli1"]);
    expect(tasks.filter((t) => t.status === "done").map((t) => t.id)).toEqual(["a1", "b1"]);
    expect((state["dependencies"] as unknown[]).length).toBe(9);
    expect(state["dependencies"]).toContainEqual({ task: "cli1", dependsOn: "a5" });
    expect(state["tasksInLaunch"]).toBe(11);
    expect(await gateway.stop()).toBe(0);
  });
});
