import { describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { ClientPool } from "./support/clients.ts";
import { spawnCli } from "./support/cli-process.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { getJson } from "./support/jetstream.ts";
import { FIRST_CLIENT_SEQ, GENESIS_SEQ } from "./support/log-start.ts";
import trackerV1 from "./support/registries/tracker-v1.ts";

const SLOW = 60_000;
const tracker = (name: string): string => join(resolve(import.meta.dir, "support/registries"), `tracker-${name}.ts`);

interface WatchedEvent {
  seq: number;
  template: string;
  params: Record<string, unknown>;
  clientId: string;
}

describe("sync-client watch", () => {
  test("--json streams new events as NDJSON, filtered by --template, and --count ends it with 0", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    const old = await writer.executeTemplate("CREATE_USER", { id: "old", name: "before the watch" });

    await using watch = spawnCli(["watch", "--json", "--template", "CREATE_USER", "--template", "DELETE_USER", "--count", "3", "--url", gw.url]);
    await watch.waitForStderr(new RegExp(`^watching .*new events after seq ${old.seq},`));
    const created = await writer.executeTemplate("CREATE_USER", { id: "u1", name: "Alice" });
    await writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c" });
    const deleted = await writer.executeTemplate("DELETE_USER", { id: "u1" });
    const again = await writer.executeTemplate("CREATE_USER", { id: "u2", name: "Bob Smith" });
    expect(await watch.exited).toBe(0);
    const events = watch.stdoutLines.map((l) => JSON.parse(l) as WatchedEvent);
    expect(events.map((e) => [e.seq, e.template, e.params])).toEqual([
      [created.seq, "CREATE_USER", { id: "u1", name: "Alice" }],
      [deleted.seq, "DELETE_USER", { id: "u1" }],
      [again.seq, "CREATE_USER", { id: "u2", name: "Bob Smith" }],
    ]);
    expect(events.every((e) => e.clientId === writer.clientId)).toBe(true);
  }, SLOW);

  test("--from-seq replays from that seq, then follows live events; Ctrl-C exits 0", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    const seqs: number[] = [];
    for (let i = 1; i <= 5; i++) seqs.push((await writer.executeTemplate("INCREMENT_COUNTER", { counterId: `c${i}`, amount: i })).seq);

    // From the third write's seq: the third, fourth and fifth writes, then live ones.
    await using watch = spawnCli(["watch", "--from-seq", String(seqs[2]), "--url", gw.url]);
    await watch.waitForStdout(new RegExp(`^#${seqs[4]} `));
    const live = await writer.executeTemplate("CREATE_USER", { id: "u9", name: "Zoë Q" });
    await watch.waitForStdout(new RegExp(`^#${live.seq} `));
    expect(await watch.signal("SIGINT")).toBe(0);
    expect(watch.stdoutLines.map((l) => l.replace(/ {2}· .*$/, ""))).toEqual([
      `#${seqs[2]} INCREMENT_COUNTER counterId=c3 amount:=3`,
      `#${seqs[3]} INCREMENT_COUNTER counterId=c4 amount:=4`,
      `#${seqs[4]} INCREMENT_COUNTER counterId=c5 amount:=5`,
      `#${live.seq} CREATE_USER id=u9 name="Zoë Q"`,
    ]);
    expect(watch.stdoutLines[0]).toContain(`· ${writer.clientId.slice(0, "client-".length + 8)} `);
  }, SLOW);

  test("resumes after the gateway restarts: no event lost, none printed twice", async () => {
    using dir = tempDir("cli-watch-restart-");
    await using first = await startGatewayProcess({ dataDir: dir.path });
    const port = first.port;
    await using pool = new ClientPool();
    await using watch = spawnCli(["watch", "--from-seq", "1", "--json", "--url", first.url]);
    const a = await pool.connect(first.url, { autoReconnect: false });
    const { seq: s1 } = await a.executeTemplate("CREATE_USER", { id: "a", name: "A" });
    await watch.waitForStdout(new RegExp(`"seq":${s1}\\b`));
    await a.close();
    await first.stop();
    await watch.waitForStderr(/connection lost/);

    await using second = await startGatewayProcess({ dataDir: dir.path, port });
    const b = await pool.connect(second.url);
    await b.executeTemplate("CREATE_USER", { id: "b", name: "B" });
    const { seq: s3 } = await b.executeTemplate("CREATE_USER", { id: "c", name: "C" });
    await watch.waitForStdout(new RegExp(`"seq":${s3}\\b`));
    expect(await watch.signal("SIGTERM")).toBe(0);
    const lines = watch.stdoutLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // From seq 1: the log's genesis registry event first, as an object of its own type, then the events.
    const registry = await getJson<{ version: number; hash: string }>(second.httpUrl, "/registry");
    expect(lines[0]).toEqual({ type: "registry", seq: GENESIS_SEQ, kind: "genesis", version: 1, hash: registry.hash, serverTimestamp: expect.any(Number) });
    expect(lines.slice(1).map((l) => [l["type"], l["seq"]])).toEqual([undefined, undefined, undefined].map((t, i) => [t, FIRST_CLIENT_SEQ + i]));
    expect(watch.stderrLines.some((l) => new RegExp(`reconnected; resuming after seq ${s1}$`).test(l))).toBe(true);
  }, SLOW);
});

describe("sync-client watch and registry versions", () => {
  test("a registry version change is one line, shown whatever --template, and not counted by --count", async () => {
    using dir = tempDir("cli-watch-registry-");
    await using pool = new ClientPool();
    await using first = await startGatewayProcess({ dataDir: dir.path, args: ["--templates", tracker("v1")] });
    const a = await pool.connect(first.url, { autoReconnect: false });
    const t1 = await a.executeTemplate("ADD_TASK", { id: "t1", title: "one" });
    await using watch = spawnCli(["watch", "--from-seq", "1", "--template", "ADD_TASK", "--count", "2", "--url", first.url]);
    await watch.waitForStdout(new RegExp(`^#${t1.seq} ADD_TASK`));
    await a.close();
    await first.stop();
    await watch.waitForStderr(/connection lost/);

    // The same log, started with version 2: the gateway appends the upgrade, the watch resumes through it.
    await using second = await startGatewayProcess({ dataDir: dir.path, port: first.port, args: ["--templates", tracker("v2")] });
    const b = await pool.connect(second.url);
    await b.executeTemplate("SET_PRIORITY", { id: "t1", priority: 3 }); // filtered out
    const t2 = await b.executeTemplate("ADD_TASK", { id: "t2", title: "two" });
    expect(await watch.exited).toBe(0); // after the second ADD_TASK: registry lines do not count
    const { history } = await getJson<{ history: { version: number; seq: number; hash: string }[] }>(second.httpUrl, "/registry");
    expect(history.map((h) => h.version)).toEqual([1, 2]);
    expect(history[0]!.hash).toBe(trackerV1.hash);
    const line = (h: { version: number; seq: number; hash: string }) => `registry version ${h.version} (${h.hash.slice(0, 12)}…) at seq ${h.seq}`;
    expect(watch.stdoutLines.map((l) => l.replace(/ {2}· .*$/, ""))).toEqual([
      line(history[0]!),
      `#${t1.seq} ADD_TASK id=t1 title=one`,
      line(history[1]!),
      `#${t2.seq} ADD_TASK id=t2 title=two`,
    ]);
  }, SLOW);
});
