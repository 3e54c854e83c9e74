import { describe, expect, test } from "bun:test";
import { ClientPool } from "./support/clients.ts";
import { spawnCli } from "./support/cli-process.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";

const SLOW = 60_000;

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
    await writer.executeTemplate("CREATE_USER", { id: "old", name: "before the watch" });

    await using watch = spawnCli(["watch", "--json", "--template", "CREATE_USER", "--template", "DELETE_USER", "--count", "3", "--url", gw.url]);
    await watch.waitForStderr(/^watching .*new events after seq 1/);
    await writer.executeTemplate("CREATE_USER", { id: "u1", name: "Alice" });
    await writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c" });
    await writer.executeTemplate("DELETE_USER", { id: "u1" });
    await writer.executeTemplate("CREATE_USER", { id: "u2", name: "Bob Smith" });
    expect(await watch.exited).toBe(0);
    const events = watch.stdoutLines.map((l) => JSON.parse(l) as WatchedEvent);
    expect(events.map((e) => [e.seq, e.template, e.params])).toEqual([
      [2, "CREATE_USER", { id: "u1", name: "Alice" }],
      [4, "DELETE_USER", { id: "u1" }],
      [5, "CREATE_USER", { id: "u2", name: "Bob Smith" }],
    ]);
    expect(events.every((e) => e.clientId === writer.clientId)).toBe(true);
  }, SLOW);

  test("--from-seq replays from that seq, then follows live events; Ctrl-C exits 0", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    for (let i = 1; i <= 5; i++) await writer.executeTemplate("INCREMENT_COUNTER", { counterId: `c${i}`, amount: i });

    await using watch = spawnCli(["watch", "--from-seq", "3", "--url", gw.url]);
    await watch.waitForStdout(/^#5 /);
    await writer.executeTemplate("CREATE_USER", { id: "u9", name: "Zoë Q" });
    await watch.waitForStdout(/^#6 /);
    expect(await watch.signal("SIGINT")).toBe(0);
    expect(watch.stdoutLines.map((l) => l.replace(/ {2}· .*$/, ""))).toEqual([
      "#3 INCREMENT_COUNTER counterId=c3 amount:=3",
      "#4 INCREMENT_COUNTER counterId=c4 amount:=4",
      "#5 INCREMENT_COUNTER counterId=c5 amount:=5",
      '#6 CREATE_USER id=u9 name="Zoë Q"',
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
    await a.executeTemplate("CREATE_USER", { id: "a", name: "A" });
    await watch.waitForStdout(/"seq":1/);
    await a.close();
    await first.stop();
    await watch.waitForStderr(/connection lost/);

    await using second = await startGatewayProcess({ dataDir: dir.path, port });
    const b = await pool.connect(second.url);
    await b.executeTemplate("CREATE_USER", { id: "b", name: "B" });
    await b.executeTemplate("CREATE_USER", { id: "c", name: "C" });
    await watch.waitForStdout(/"seq":3/);
    expect(await watch.signal("SIGTERM")).toBe(0);
    expect(watch.stdoutLines.map((l) => (JSON.parse(l) as WatchedEvent).seq)).toEqual([1, 2, 3]);
    expect(watch.stderrLines.some((l) => /reconnected; resuming after seq 1/.test(l))).toBe(true);
  }, SLOW);
});
