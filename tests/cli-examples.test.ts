import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { REPO_ROOT, runCommand } from "./support/cli-process.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import { FIRST_CLIENT_SEQ } from "./support/log-start.ts";

const SLOW = 60_000;
const example = (name: string) => resolve(REPO_ROOT, "examples", name);

describe("examples run against a real gateway", () => {
  test("two_replicas.ts: B sees what A wrote, A sees what B wrote", async () => {
    await using gw = await startGatewayProcess();
    const r = await runCommand(["bun", "run", example("two_replicas.ts")], { env: { SYNC_URL: gw.url } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // A new log: its first write follows the registry's genesis.
    const first = FIRST_CLIENT_SEQ;
    expect(r.stdout).toMatch(new RegExp(`A: CREATE_USER (alice-\\w+) -> seq ${first}\n {2}replica B applied #${first} CREATE_USER .*\nB reads: \\[\\{"id":"alice-\\w+","name":"Alice"\\}\\]`));
    expect(r.stdout).toContain(',"name":"Alice Liddell"}]');
    expect(r.stdout).toMatch(/A reads: \[\{"id":"alice-\w+-likes","value":3\}\]/);
    expect(r.stdout).toContain("both replicas hold the same graph");
  }, SLOW);

  test("stats_monitoring.ts: sends a mix of templates while the statistics report prints", async () => {
    await using gw = await startGatewayProcess();
    const r = await runCommand(["bun", "run", example("stats_monitoring.ts")], {
      env: { SYNC_URL: gw.url, SEND_INTERVAL_MS: "150", STATS_INTERVAL_MS: "400", DURATION_MS: "1500" },
    });
    expect(r.code).toBe(0);
    const reports = r.stdout.split("=== DML Statistics Report ===").length - 1;
    expect(reports).toBeGreaterThanOrEqual(2); // at least one periodic report, and the final one
    const final = r.stdout.slice(r.stdout.lastIndexOf("=== DML Statistics Report ==="));
    expect(final).toMatch(/^=== DML Statistics Report ===\nOverall: sent: \d+, received: \d+, applied: \d+, failed: \d+\n/);
    for (const template of ["CREATE_USER", "CREATE_POST", "INCREMENT_COUNTER", "FOLLOW_USER"]) {
      expect(final).toMatch(new RegExp(`Template: ${template} - sent: [1-9]\\d*, received: \\d+, applied: \\d+, success rate: [\\d.]+%`));
    }
    expect(r.stdout).toContain("rejected: INVALID_PARAMS"); // the deliberately broken event of every third round
    const head = ((await (await fetch(`${gw.httpUrl}/health`)).json()) as { headSeq: number }).headSeq;
    expect(head).toBeGreaterThan(4);
  }, SLOW);

  test("live_tasks.ts: two processes with live queries write optimistically; the refused write leaves with `rejected`", async () => {
    await using gw = await startGatewayProcess({ args: ["--templates", example("live_tasks_registry.ts")] });
    const r = await runCommand(["bun", "run", example("live_tasks.ts")], { env: { SYNC_URL: gw.url } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const name of ["alice", "bob"]) {
      expect(r.stdout).toContain(`[${name}] writes ADD_TASK `);
      expect(r.stdout).toContain(`[${name}] final: alice=open bob=done\n`);
    }
    expect(r.stdout).toContain("[bob] rejected SET_STATUS: INVALID_PARAMS\n");
    expect(r.stdout).toMatch(/\[alice\] confirmed SET_STATUS at seq \d+\n/);
  }, SLOW);

  test("live_tasks.ts against a gateway with another registry says how to start the right one and exits 2", async () => {
    await using gw = await startGatewayProcess();
    const r = await runCommand(["bun", "run", example("live_tasks.ts")], { env: { SYNC_URL: gw.url } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--templates examples/live_tasks_registry.ts");
  }, SLOW);

  test("without a gateway, each example says so and exits 3, as sync-client does", async () => {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const url = `ws://127.0.0.1:${server.port}`;
    server.stop(true);
    const results = await Promise.all(["two_replicas.ts", "stats_monitoring.ts", "live_tasks.ts"].map((name) => runCommand(["bun", "run", example(name)], { env: { SYNC_URL: url } })));
    for (const r of results) {
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`No sync-server is reachable at ${url}`);
    }
  }, SLOW);
});
