/**
 * The Docker image with a mounted registry, checked without a Docker engine: the image's
 * filesystem is rebuilt from the Dockerfile in a temp dir (tests/support/dockerfile-layout.ts:
 * its COPY and RUN steps, including the build-time probe of a registry outside /app), a registry
 * is "mounted" at /registry, and the image's own `sync-server` serves it.
 * Not covered here: the base image itself and the container runtime (docker run, users, volumes).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { REPO_ROOT, runCommand } from "./support/cli-process.ts";
import { spawnCommand } from "./support/command-process.ts";
import { loadCompose, requireBinary, type ComposeConfig } from "./support/compose.ts";
import { buildDockerfileLayout, isSymlink, type BuiltImage } from "./support/dockerfile-layout.ts";
import { FIRST_CLIENT_SEQ } from "./support/log-start.ts";

let image: BuiltImage;
beforeAll(() => {
  image = buildDockerfileLayout(REPO_ROOT);
}, 180_000);
afterAll(() => image?.[Symbol.dispose]());

/** A registry "mounted" at `dir` in the image. */
function mount(dir: string, file = resolve(import.meta.dir, "support/registries/task-board.ts")): void {
  mkdirSync(image.map(dir), { recursive: true });
  copyFileSync(file, image.map(`${dir}/registry.ts`));
}

/** The image's environment: its ENV, its PATH, a registry mounted at /registry. */
const env = (extra: Record<string, string> = {}) => ({ ...image.env, PATH: image.path, TEMPLATES_PATH: image.map("/registry/registry.ts"), ...extra });

describe("the image with a mounted registry (TEMPLATES_PATH)", () => {
  test("the layout: /node_modules is the app's, holding @kuzu-sync/protocol and zod; the build's registry probe ran", () => {
    expect(isSymlink(image.map("/node_modules"))).toBe(true);
    expect(resolve(image.root, readlinkSync(image.map("/node_modules")))).toBe(image.map("/app/node_modules"));
    expect(existsSync(image.map("/app/node_modules/@kuzu-sync/protocol/package.json"))).toBe(true);
    expect(existsSync(image.map("/app/node_modules/zod/package.json"))).toBe(true);
    // The probe's RUN step cleaned up after itself, and only chown (no bun user here) was left out.
    expect(existsSync(image.map("/tmp/registry-probe"))).toBe(false);
    expect(image.skipped).toEqual(["chown bun:bun /data"]);
  });

  test("a registry mounted at /registry (importing only @kuzu-sync/protocol) is checked, served and written to", async () => {
    mount("/registry");
    const checked = await runCommand(["sync-server", "check", "--runs", "3"], { cwd: image.workdir, env: env() });
    expect(checked.stdout).toContain("the registry is sound");
    expect(checked.code).toBe(0);

    await using gateway = spawnCommand(["sync-server"], { cwd: image.workdir, env: env({ PORT: "0", HOST: "127.0.0.1" }) });
    const line = await gateway.waitForLine(/"body":"listening"/);
    const port = (JSON.parse(line) as { attributes: { port: number } }).attributes.port;
    const templates = (await (await fetch(`http://127.0.0.1:${port}/templates`)).json()) as { templates: { name: string }[] };
    expect(templates.templates.map((t) => t.name)).toContain("ADD_DEPENDENCY");
    const sent = await runCommand(["sync-client", "--url", `ws://127.0.0.1:${port}`, "send", "CREATE_PROJECT", "id=p1", "name=From the image"], { cwd: image.workdir, env: env() });
    expect(sent.stderr).toBe("");
    expect(sent.stdout.trim()).toBe(String(FIRST_CLIENT_SEQ)); // the first write of the new log
    expect(await gateway.stop()).toBe(0);
    expect(existsSync(join(image.env["DATA_DIR"]!, "replica"))).toBe(true);
  });

  test("a registry that imports zod directly (written before protocol re-exported z) loads too", async () => {
    mount("/registry-zod", resolve(REPO_ROOT, "deploy/registry-probe.ts"));
    const checked = await runCommand(["sync-server", "check"], { cwd: image.workdir, env: env({ TEMPLATES_PATH: image.map("/registry-zod/registry.ts") }) });
    expect(checked.code).toBe(0);
  });

  test("without the /node_modules link the same registry cannot resolve its imports (the failure the link fixes)", async () => {
    mount("/registry-unlinked");
    const link = readlinkSync(image.map("/node_modules"));
    rmSync(image.map("/node_modules"));
    try {
      const checked = await runCommand(["sync-server", "check"], { cwd: image.workdir, env: env({ TEMPLATES_PATH: image.map("/registry-unlinked/registry.ts") }) });
      expect(checked.code).toBe(2);
      expect(checked.stdout).toContain("Cannot find package '@kuzu-sync/protocol'");
    } finally {
      symlinkSync(link, image.map("/node_modules"));
    }
  });
});

describe("docker compose with your own registry (deploy/compose.registry.yml)", () => {
  const compose = (env: Record<string, string>) => {
    const r = Bun.spawnSync([requireBinary("docker-compose", "docker-compose"), "-f", "docker-compose.yml", "-f", "deploy/compose.registry.yml", "config"], {
      cwd: REPO_ROOT,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/tmp", ...env },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    return Bun.YAML.parse(r.stdout.toString()) as ComposeConfig;
  };

  test("every gateway gets TEMPLATES_PATH=/registry/registry.ts and REGISTRY_DIR mounted read-only there; the rest is unchanged", () => {
    const base = loadCompose();
    for (const [env, dir] of [[{}, resolve(REPO_ROOT, "registry")], [{ REGISTRY_DIR: "/srv/my-registry" }, "/srv/my-registry"]] as const) {
      const config = compose(env);
      expect(Object.keys(config.services).sort()).toEqual(Object.keys(base.services).sort());
      for (const name of ["sync-server", "sync-server-2", "sync-server-embedded"]) {
        const s = config.services[name]!;
        expect(s.environment?.["TEMPLATES_PATH"], name).toBe("/registry/registry.ts");
        expect(s.volumes, name).toContainEqual(`${dir}:/registry:ro`);
        // What the base file gives them stays (log backend, data volume).
        expect(s.environment).toMatchObject(base.services[name]!.environment!);
        expect(s.volumes).toContainEqual(expect.stringMatching(/:\/data:rw$/));
      }
      expect(config.services["archiver"]).toEqual(base.services["archiver"]!);
    }
  });
});
