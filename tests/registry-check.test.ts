/**
 * `sync-server check` (the real bin) and the gateway's start-up on registries that cannot run:
 * exit 0 for sound registries, 2 with every problem named (template, what, fix) otherwise.
 */
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { REPO_ROOT, runCommand } from "./support/cli-process.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";

const MAIN = resolve(REPO_ROOT, "packages/sync-server/src/main.ts");
const registry = (name: string) => resolve(import.meta.dir, "support/registries", `${name}.ts`);
const check = (...args: string[]) => runCommand(["bun", MAIN, "check", ...args]);

describe("sync-server check", () => {
  test("the example registry (the default) is sound: every batch form equals its single form", async () => {
    const r = await check();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^registry the example registry: 8 templates \(8 with a batch form\), hash [0-9a-f]{12}$/);
    for (const t of ["CREATE_USER", "UPDATE_USER", "DELETE_USER", "FOLLOW_USER", "UNFOLLOW_USER", "CREATE_POST", "DELETE_POST", "INCREMENT_COUNTER"]) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ok    ${t}: the batch form leaves the same graph as the single form \\(30 runs, \\d+ events`)));
    }
    expect(lines.at(-1)).toBe("the registry is sound");
  });

  test("an application's registry (projects, tasks, DEPENDS_ON) is sound; TEMPLATES_PATH works too", async () => {
    const r = await runCommand(["bun", MAIN, "check", "--runs", "15"], { env: { TEMPLATES_PATH: registry("task-board") } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("6 templates (5 with a batch form)");
    expect(r.stdout).toContain("ok    ADD_DEPENDENCY: the batch form leaves the same graph as the single form (15 runs");
    expect(r.stdout.trim().split("\n").at(-1)).toBe("the registry is sound");
  });

  test("a registry that does not load: every problem with its template and fix, exit 2", async () => {
    const r = await check("--templates", registry("broken-load"));
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("does not load:");
    expect(r.stdout).toContain(
      "template ADD_TASK: cypher uses $idd (at line 1, column 20), which is not a declared parameter (declared: id, title). Fix: did you mean $id?",
    );
    expect(r.stdout).toContain("template RENAME_TASK: parameter by is declared but no statement uses $by");
    expect(r.stdout.trim().split("\n").at(-1)).toBe("the registry is not sound (exit 2)");
  });

  test("what only Kuzu or a run shows: an unknown table, a batch form that diverges, one that fails on valid rows", async () => {
    const r = await check("--templates", registry("broken-batch"), "--runs", "10");
    expect(r.code).toBe(2);
    const fails = r.stdout.split("\n").filter((l) => l.startsWith("FAIL"));
    expect(fails).toHaveLength(3);
    expect(fails[0]).toBe("FAIL  template TAG_ITEM: Kuzu cannot prepare its cypher: Binder exception: Table Tag does not exist.");
    expect(fails[1]).toStartWith("FAIL  template BUMP: the batch form left a different graph than the single form on run ");
    // The diff shows the counter: the sum after the single form, the last amount after the batch.
    expect(r.stdout).toMatch(/^ {6}- Counter \["[^"]*","\d+"\]$/m);
    expect(r.stdout).toMatch(/^ {6}\+ Counter \["[^"]*","\d+"\]$/m);
    expect(fails[2]).toMatch(/^FAIL  template ADD_ITEM: the batch form failed on run \d+ where every event succeeds with the single form: .*duplicated primary key/);
    expect(r.stdout).toContain("Fix: make the batch form accept every row the single form accepts (seed 1, 10 runs).");
    expect(r.stdout.trim().split("\n").at(-1)).toBe("3 problems: the registry is not sound (exit 2)");
  });

  test("the same seed gives the same report; another seed other parameter sets", async () => {
    const [a, b, c] = await Promise.all([
      check("--templates", registry("broken-batch"), "--runs", "5", "--seed", "7"),
      check("--templates", registry("broken-batch"), "--runs", "5", "--seed", "7"),
      check("--templates", registry("broken-batch"), "--runs", "5", "--seed", "8"),
    ]);
    expect(a.stdout).toBe(b.stdout);
    expect(c.stdout).not.toBe(a.stdout);
  });

  test("bad options: a message and exit 2; --help: exit 0", async () => {
    const runs = await check("--runs", "0");
    expect(runs.code).toBe(2);
    expect(runs.stderr).toBe('sync-server check: --runs must be an integer >= 1, not "0"\n');
    const unknown = await check("--nope");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Usage: sync-server check");
    const missing = await check("--templates", resolve(import.meta.dir, "support/registries/missing.ts"));
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain("cannot be loaded");
    const help = await check("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toStartWith("Usage: sync-server check [--templates <path>]");
  });
});

describe("gateway start-up", () => {
  test("refuses a registry whose Cypher names an undeclared parameter, naming the template and the fix", async () => {
    const error = await startGatewayProcess({ args: ["--templates", registry("broken-load")] }).then(
      async (gw) => {
        await gw.stop();
        return null;
      },
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/gateway exited with 1 before printing/);
    expect(error?.message).toContain("template ADD_TASK: cypher uses $idd (at line 1, column 20), which is not a declared parameter (declared: id, title). Fix: did you mean $id?");
  });

  test("still refuses a statement Kuzu cannot prepare (a table the schema does not have)", async () => {
    const error = await startGatewayProcess({ args: ["--templates", registry("broken-batch")] }).then(
      async (gw) => {
        await gw.stop();
        return null;
      },
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/gateway exited with 1 before printing/);
    expect(error?.message).toContain("Table Tag does not exist");
  });
});
