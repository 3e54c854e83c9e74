/**
 * Registry versions through the log (docs/PROTOCOL.md §10), against real gateway processes: a
 * task tracker goes from version 1 to 2 (a column with a default, a new template) to 3 (a
 * template's Cypher changes, a data step, a template removed) while persistent clients, an offline
 * client holding outbox events and a snapshot-bootstrapped client follow; after each step every
 * replica equals one rebuilt from seq 1. The same with two JetStream gateways, one started with
 * the older file. Then every refusal, and `sync-server plan`.
 * @module
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join, resolve } from "node:path";
import type { SyncClient } from "@kuzu-sync/client";
import type { SyncError } from "@kuzu-sync/protocol";
import { digestGraph, dumpGraph, diffGraphDumps } from "@kuzu-sync/replica";
import { ClientPool } from "./support/clients.ts";
import { startGatewayProcess, tempDir, type GatewayProcess } from "./support/gateway-process.ts";
import { waitForReplica } from "./support/health.ts";
import { getJson } from "./support/jetstream.ts";
import { NatsServer } from "./support/nats-server.ts";
import { Resources } from "./support/resources.ts";
import { writeAgedLog } from "./support/aged-log.ts";

setDefaultTimeout(60_000);

const REGISTRIES = resolve(import.meta.dir, "support/registries");
const tracker = (name: string): string => join(REGISTRIES, `tracker-${name}.ts`);
const MAIN = resolve(import.meta.dir, "../packages/sync-server/src/main.ts");

interface RegistryInfo {
  version: number;
  hash: string;
  history: { version: number; seq: number; hash: string }[];
}

/** Every replica's graph must equal the first one's; the diff says where they differ. */
async function expectSameGraphs(label: string, clients: readonly SyncClient[]): Promise<void> {
  const [first, ...rest] = clients;
  const expected = await dumpGraph(first!);
  for (const [i, c] of rest.entries()) {
    const got = await dumpGraph(c);
    expect({ label, replica: i + 1, diff: diffGraphDumps(expected, got) }).toEqual({ label, replica: i + 1, diff: [] });
  }
}

async function head(gw: GatewayProcess): Promise<number> {
  return (await getJson<{ headSeq: number }>(gw.httpUrl, "/health")).headSeq;
}

/** A client built from seq 1 by replaying the whole log (no snapshot). */
async function rebuilt(pool: ClientPool, gw: GatewayProcess): Promise<SyncClient> {
  const r = await pool.connect(gw.url, { useSnapshots: false });
  await r.waitForSeq(await head(gw));
  return r;
}

function tasks(c: SyncClient): Promise<Record<string, unknown>[]> {
  return c.query("MATCH (t:Task) RETURN t.id AS id, t.status AS status ORDER BY id");
}

async function planOf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["bun", MAIN, "plan", ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

async function refusal(options: Parameters<typeof startGatewayProcess>[0]): Promise<string> {
  return startGatewayProcess(options).then(
    async (gw) => {
      await gw.stop();
      throw new Error("the gateway started; a refusal was expected");
    },
    (e: unknown) => (e as Error).message,
  );
}

describe("registry versions on a running system (embedded log)", () => {
  test("1 → 2 → 3 with persistent, offline and snapshot-bootstrapped clients: every replica equals a rebuild from seq 1, nothing lost, nothing resurrected", async () => {
    using data = tempDir();
    using files = tempDir();
    await using started = new Resources();
    await using pool = new ClientPool();
    const start = async (version: string, port = 0) =>
      started.use(await startGatewayProcess({ dataDir: data.path, port, keepDataDir: true, args: ["--templates", tracker(version), "--snapshot-bootstrap-min", "60", "--snapshot-every", "0"] }));

    // Version 1: 40 tasks, 10 deleted, a few dependencies.
    let gw = await start("v1");
    const port = gw.port;
    const a = await pool.connect(gw.url, { dbPath: join(files.path, "a.kuzu"), useSnapshots: false });
    const bPath = join(files.path, "b.kuzu");
    let b = await pool.connect(gw.url, { dbPath: bPath, useSnapshots: false });
    const versionsSeen: number[] = [];
    a.on("registry", (r) => versionsSeen.push(r.version));
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) writes.push(a.executeTemplate("ADD_TASK", { id: `t${i}`, title: `task ${i}` }));
    await Promise.all(writes);
    for (let i = 0; i < 10; i++) await a.executeTemplate("DELETE_TASK", { id: `t${i}` });
    for (let i = 10; i < 15; i++) await a.executeTemplate("ADD_DEPENDENCY", { taskId: `t${i}`, dependsOn: `t${i + 1}` });
    const { seq: v1Head } = await a.executeTemplate("COMPLETE_TASK", { id: "t10" });
    await b.waitForSeq(v1Head);
    expect((await getJson<RegistryInfo>(gw.httpUrl, "/registry")).history.map((e) => [e.version, e.seq])).toEqual([[1, 1]]);

    // The gateway goes away; b writes offline (its outbox holds them), then b's process ends.
    expect(await gw.stop()).toBe(0);
    const offline = [
      b.executeTemplate("DELETE_TASK", { id: "t12" }, { id: "offline-delete" }), // removed in version 3
      b.executeTemplate("ADD_TASK", { id: "b-offline", title: "written offline" }, { id: "offline-add" }),
      b.executeTemplate("COMPLETE_TASK", { id: "t13" }, { id: "offline-complete" }),
    ].map((p) => p.catch((e: SyncError) => e.code));
    await Bun.sleep(50);
    await b.close();
    expect(await Promise.all(offline)).toEqual(["CLOSED", "CLOSED", "CLOSED"]);

    // Version 2: a column with a default and a template, through a registry event; a upgrades in place.
    gw = await start("v2", port);
    const registry2 = await getJson<RegistryInfo>(gw.httpUrl, "/registry");
    expect(registry2.version).toBe(2);
    expect(registry2.history.map((e) => [e.version, e.seq])).toEqual([[1, 1], [2, v1Head + 1]]);
    await a.waitForSeq(v1Head + 1);
    expect(versionsSeen).toEqual([2]);
    for (let i = 10; i < 20; i += 3) await a.executeTemplate("SET_PRIORITY", { id: `t${i}`, priority: i % 9 });
    const { seq: v2Head } = await a.executeTemplate("ADD_TASK", { id: "after-v2", title: "added under version 2" });
    await a.waitForSeq(v2Head);
    await expectSameGraphs("version 2", [await rebuilt(pool, gw), a]);
    expect((await a.query("MATCH (t:Task {id: 't11'}) RETURN t.priority AS p"))[0]).toEqual({ p: 0 });

    // Version 3: ADD_TASK's Cypher changes, a data step, DELETE_TASK is removed.
    expect(await gw.stop()).toBe(0);
    gw = await start("v3", port);
    await a.waitForSeq(v2Head + 1);
    expect(versionsSeen).toEqual([2, 3]);
    const { seq: afterV3 } = await a.executeTemplate("ADD_TASK", { id: "after-v3", title: "added under version 3" });

    // b comes back: same dbPath, same outbox; it passes versions 2 and 3 in place.
    b = pool.make(gw.url, { dbPath: bPath, useSnapshots: false });
    expect(b.pendingCount).toBe(3);
    const refused: SyncError[] = [];
    b.on("error", (e) => refused.push(e));
    await b.connect();
    await b.flush();
    expect(b.pendingCount).toBe(0);
    expect(refused.map((e) => [e.eventId, e.code])).toEqual([["offline-delete", "UNKNOWN_TEMPLATE"]]);
    expect(refused[0]!.message).toContain('unknown template "DELETE_TASK" in registry version 3');
    const finalHead = await head(gw);
    await b.waitForSeq(finalHead);
    await a.waitForSeq(finalHead);

    // A client bootstrapped from a snapshot made under version 3.
    const phases: string[] = [];
    const c = pool.make(gw.url);
    c.on("snapshot", (p) => phases.push(p.phase));
    await c.connect();
    expect(phases).toContain("done");
    const { seq: afterSnapshot } = await a.executeTemplate("ADD_TASK", { id: "after-snapshot", title: "after the snapshot" });
    for (const x of [a, b, c]) await x.waitForSeq(afterSnapshot);

    const rebuild = await rebuilt(pool, gw);
    await expectSameGraphs("version 3", [rebuild, a, b, c]);
    const state = await tasks(rebuild);
    // Deleted under version 1 (whose DELETE_TASK is gone now): still deleted.
    for (let i = 0; i < 10; i++) expect(state.find((t) => t["id"] === `t${i}`)).toBeUndefined();
    // The offline delete was refused, never dropped silently: t12 is still there.
    expect(state.find((t) => t["id"] === "t12")).toEqual({ id: "t12", status: "todo" });
    expect(state.find((t) => t["id"] === "t13")).toEqual({ id: "t13", status: "done" });
    // Version 3's step renamed 'open'; its ADD_TASK writes 'todo'; no 'open' is left.
    expect(state.filter((t) => t["status"] === "open")).toEqual([]);
    expect(state.find((t) => t["id"] === "b-offline")).toEqual({ id: "b-offline", status: "todo" });
    // The column default survives the snapshot: a task created after it has priority 0 on c too.
    expect(await c.query("MATCH (t:Task {id: 'after-snapshot'}) RETURN t.priority AS p")).toEqual([{ p: 0 }]);
    expect(afterV3).toBeGreaterThan(v2Head + 1);
    await waitForReplica(gw, afterSnapshot);
    expect(await gw.stop()).toBe(0);
  });

  test("refusals: same version with another hash, a skipped version, steps that do not give the schema, a dropped table still written, an older file; plan says the same and changes nothing", async () => {
    using data = tempDir();
    await using started = new Resources();
    const gw1 = started.use(await startGatewayProcess({ dataDir: data.path, keepDataDir: true, args: ["--templates", tracker("v1")] }));
    await using pool = new ClientPool();
    const a = await pool.connect(gw1.url);
    const { seq } = await a.executeTemplate("ADD_TASK", { id: "t1", title: "one" });
    await waitForReplica(gw1, seq);
    expect(await gw1.stop()).toBe(0);
    const on = (name: string) => ({ dataDir: data.path, keepDataDir: true, args: ["--templates", tracker(name)] });

    const changed = await refusal(on("v1-changed"));
    expect(changed).toMatch(/the log is at registry version 1 \([0-9a-f]{12}, since seq 1\) and this file is version 1 with another hash \([0-9a-f]{12}\)/);
    expect(changed).toContain("templates added: REOPEN_TASK");
    expect(changed).toContain("set `version: 2`");
    expect(await refusal(on("v3-skips"))).toContain("Start with version 2 first");
    const noSteps = await refusal(on("v2-no-steps"));
    expect(noSteps).toContain("column Task.priority INT64 is declared in schema but the steps do not add it — add to migrate: ALTER TABLE Task ADD priority INT64 DEFAULT 0");
    expect(await refusal(on("v2-drops-task"))).toContain("template ADD_DEPENDENCY does not prepare against the schema");

    // plan: the same verdicts, exit 2 for a refusal, 0 for a start that would go ahead; nothing changes.
    const planChanged = await planOf(["--templates", tracker("v1-changed"), "--data-dir", data.path]);
    expect(planChanged.code).toBe(2);
    expect(planChanged.stdout).toContain("plan: a start would be REFUSED");
    expect(planChanged.stdout).toContain("templates added: REOPEN_TASK");
    const planUpgrade = await planOf(["--templates", tracker("v2"), "--data-dir", data.path]);
    expect(planUpgrade.code).toBe(0);
    expect(planUpgrade.stdout).toContain(`plan: upgrade to version 2, in a registry event at seq ${seq + 1}`);
    expect(planUpgrade.stdout).toContain("    ALTER TABLE Task ADD priority INT64 DEFAULT 0");
    expect(planUpgrade.stdout).toContain("  templates added: SET_PRIORITY");
    expect(planUpgrade.stdout).toContain("nothing was changed");
    const json = JSON.parse((await planOf(["--templates", tracker("v2"), "--data-dir", data.path, "--json"])).stdout) as { plan: { action: string; steps: string[] } };
    expect(json.plan).toMatchObject({ action: "append", steps: ["ALTER TABLE Task ADD priority INT64 DEFAULT 0"] });

    // Nothing was recorded by the refusals or the plans: version 1 still starts as it was.
    const gw2 = started.use(await startGatewayProcess(on("v1")));
    expect((await getJson<RegistryInfo>(gw2.httpUrl, "/registry")).history).toEqual([{ version: 1, seq: 1, hash: expect.any(String) }]);
    expect(await head(gw2)).toBe(seq);
    expect(await gw2.stop()).toBe(0);
    // Upgrade, then an older file: a version never goes back.
    const gw3 = started.use(await startGatewayProcess(on("v2")));
    expect(await gw3.stop()).toBe(0);
    expect(await refusal(on("v1"))).toContain("a registry version never goes back");
    expect((await planOf(["--templates", tracker("v1"), "--data-dir", data.path])).code).toBe(2);
  });
});

describe("registry versions with the JetStream log", () => {
  test("two gateways: one upgrades, the other adopts the newer version at once and after a restart with its older file; replicas equal a rebuild", async () => {
    await using nats = await NatsServer.start();
    using dir1 = tempDir();
    using dir2 = tempDir();
    await using started = new Resources();
    await using pool = new ClientPool();
    const start = async (dir: string, version: string, port = 0) =>
      started.use(await startGatewayProcess({ dataDir: dir, port, keepDataDir: true, args: ["--log", "jetstream", "--nats-url", nats.url, "--templates", tracker(version)] }));
    let gw1 = await start(dir1.path, "v1");
    let gw2 = await start(dir2.path, "v1");
    const a = await pool.connect(gw1.url, { useSnapshots: false });
    const b = await pool.connect(gw2.url, { useSnapshots: false });
    for (let i = 0; i < 20; i++) await (i % 2 === 0 ? a : b).executeTemplate("ADD_TASK", { id: `t${i}`, title: `task ${i}` });
    const { seq: v1Head } = await b.executeTemplate("DELETE_TASK", { id: "t3" });
    // Both gateways started on an empty stream: the genesis was stored once.
    expect((await getJson<RegistryInfo>(gw2.httpUrl, "/registry")).history.map((e) => [e.version, e.seq])).toEqual([[1, 1]]);

    // gw1 restarts with version 2; gw2 keeps running with the version 1 file and adopts version 2.
    const port1 = gw1.port;
    expect(await gw1.stop()).toBe(0);
    gw1 = await start(dir1.path, "v2", port1);
    await a.waitForSeq(v1Head + 1);
    const seen = await getJson<RegistryInfo>(gw2.httpUrl, "/registry");
    expect(seen.version).toBe(2);
    await gw2.waitForLine(/registry version adopted from the log/);
    // A template only version 2 has is accepted by the gateway that runs the version 1 file.
    await b.executeTemplate("SET_PRIORITY", { id: "t4", priority: 3 });

    // gw2 restarted with its older file adopts version 2 from the stream and says so.
    const port2 = gw2.port;
    expect(await gw2.stop()).toBe(0);
    gw2 = await start(dir2.path, "v1", port2);
    expect(gw2.output.join("\n")).toMatch(/the log is at registry version 2 .*this gateway's file is version 1: running version 2 from the log/);
    const { seq: last } = await b.executeTemplate("SET_PRIORITY", { id: "t6", priority: 5 });

    // plan against NATS: the file of version 2 is what the log runs.
    const plan = await planOf(["--templates", tracker("v2"), "--nats-url", nats.url]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("plan: nothing to do");
    const older = await planOf(["--templates", tracker("v1-changed"), "--nats-url", nats.url]);
    expect(older.code).toBe(0); // an older version on a shared log: the log's version is adopted
    expect(older.stdout).toContain("plan: adopt version 2 from the log");

    for (const c of [a, b]) await c.waitForSeq(last);
    await expectSameGraphs("jetstream", [await rebuilt(pool, gw1), a, b, await rebuilt(pool, gw2)]);
    expect(await a.query("MATCH (t:Task {id: 't4'}) RETURN t.priority AS p")).toEqual([{ p: 3 }]);
    expect((await digestGraph(a)).sha256).toBe((await digestGraph(b)).sha256);
    await gw1.stop();
    await gw2.stop();
  });
});

describe("a log from before registry versions", () => {
  test("the first start records its registry (adopt); new and old replicas go on; another registry is refused", async () => {
    using data = tempDir();
    await using started = new Resources();
    // A log written the way the previous release wrote it: events, no registry event.
    const events = await writeAgedLog(data.path, [{ at: Date.now(), count: 30 }]);
    const gw = started.use(await startGatewayProcess({ dataDir: data.path, keepDataDir: true }));
    const registry = await getJson<RegistryInfo & { history: { kind?: string }[] }>(gw.httpUrl, "/registry");
    expect(registry.history.map((e) => [e.version, e.seq])).toEqual([[1, events.length + 1]]);
    await using pool = new ClientPool();
    // A new replica installs the registry in force at seq 1 (welcome.base), then replays.
    const fresh = await pool.connect(gw.url, { useSnapshots: false });
    const { seq } = await fresh.executeTemplate("CREATE_USER", { id: "after", name: "after the adopt" });
    await fresh.waitForSeq(seq);
    expect(fresh.lastAppliedSeq).toBe(events.length + 2);
    await waitForReplica(gw, seq);
    await expectSameGraphs("adopted", [fresh, await rebuilt(pool, gw)]);
    expect(await gw.stop()).toBe(0);

    // The server replica was built with the example registry: another version-1 registry is refused.
    const other = await refusal({ dataDir: data.path, keepDataDir: true, args: ["--templates", tracker("v1")] });
    expect(other).toMatch(/the log is at registry version 1 \([0-9a-f]{12}, since seq 31\) and this file is version 1 with another hash/);
  });
});
