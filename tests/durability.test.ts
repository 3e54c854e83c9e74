import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { ClientPool, graphState } from "./support/clients.ts";
import { RawSocket } from "./support/raw-socket.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { waitForReplica } from "./support/health.ts";
import { GENESIS_SEQ, headAfter, isRegistryEventId } from "./support/log-start.ts";
import { Resources } from "./support/resources.ts";

function loggedEvents(dataDir: string): { id: string; seq: number }[] {
  const db = new Database(join(dataDir, "events.sqlite"), { readonly: true });
  try {
    return db.query<{ id: string; seq: number }, []>("SELECT id, seq FROM events ORDER BY seq").all();
  } finally {
    db.close();
  }
}

describe("durability", () => {
  test("SIGKILL mid-stream loses no acknowledged event and duplicates none", async () => {
    using dir = tempDir();
    await using started = new Resources();
    await using pool = new ClientPool();
    let gw = started.use(await startGatewayProcess({ dataDir: dir.path }));
    const port = gw.port;
    const writer = await pool.connect(gw.url);
    const reader = await pool.connect(gw.url);

    const acked = new Map<number, number>(); // counter amount → seq
    const all: Promise<void>[] = [];
    let killed = false;
    for (let i = 1; i <= 400; i++) {
      all.push(
        writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: i }).then(({ seq }) => {
          acked.set(i, seq);
        }),
      );
      if (i === 150) {
        // Let some acks arrive, then crash the gateway while the rest are in flight.
        await Promise.all(all.slice(0, 50));
        await gw.kill();
        killed = true;
        gw = started.use(await startGatewayProcess({ dataDir: dir.path, port, keepDataDir: true }));
      }
      if (i % 25 === 0) await Bun.sleep(1); // keep the stream flowing across the restart
    }
    expect(killed).toBe(true);
    await Promise.all(all); // the outbox resends the rest after the restart
    // The log: the registry's genesis (once: the restart found it), then the 400 writes, no gap.
    const head = headAfter(400);
    const events = loggedEvents(dir.path);
    expect(events.length).toBe(head);
    expect(new Set(events.map((e) => e.id)).size).toBe(head);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    expect(events.filter((e) => isRegistryEventId(e.id)).map((e) => e.seq)).toEqual([GENESIS_SEQ]);
    expect(Math.max(...acked.values())).toBe(head);
    await writer.waitForSeq(head);
    await reader.waitForSeq(head);
    const expected = (400 * 401) / 2;
    expect(await reader.query("MATCH (c:Counter) RETURN c.value AS v")).toEqual([{ v: expected }]);
    expect(await graphState(writer)).toEqual(await graphState(reader));
    const health = (await (await fetch(`${gw.httpUrl}/health`)).json()) as { headSeq: number };
    expect(health.headSeq).toBe(head);
  });

  test("a client offline while others write catches up on reconnect", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    using dir = tempDir();
    const dbPath = join(dir.path, "replica.kuzu");
    const offline = pool.make(gw.url, { dbPath });
    await offline.connect();
    await writer.executeTemplate("CREATE_USER", { id: "u1", name: "before" });
    const { seq: first } = await writer.executeTemplate("CREATE_USER", { id: "u2", name: "before" });
    await offline.waitForSeq(first);
    const clientId = offline.clientId;
    await offline.close();

    for (let i = 0; i < 2500; i++) void writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c" });
    const { seq: head } = await writer.executeTemplate("UPDATE_USER", { id: "u1", name: "after" });

    const back = pool.make(gw.url, { dbPath });
    expect(back.lastAppliedSeq).toBe(0); // not opened yet
    const seen: number[] = [];
    back.on("event", (e) => seen.push(e.seq));
    await back.connect(); // resolves once caught up to the head seen at connect
    expect(back.clientId).toBe(clientId);
    expect(back.lastAppliedSeq).toBe(head);
    expect(seen[0]).toBe(first + 1); // resumed from its stored seq, no replay
    expect(seen.length).toBe(head - first);
    await writer.waitForSeq(head); // its acks arrive before its own replica has applied them
    expect(await graphState(back)).toEqual(await graphState(writer));
  });

  test("the gateway restarts cleanly on SIGTERM and keeps its log and replica", async () => {
    using dir = tempDir();
    await using pool = new ClientPool();
    const gw = await startGatewayProcess({ dataDir: dir.path });
    const c = await pool.connect(gw.url, { autoReconnect: false });
    const { seq } = await c.executeTemplate("CREATE_USER", { id: "u1", name: "A" });
    await c.waitForSeq(seq);
    // A stop lets the server replica finish its batch, not catch up: wait until it has the event.
    await waitForReplica(gw, seq);
    expect(await gw.stop()).toBe(0);
    await using again = await startGatewayProcess({ dataDir: dir.path, keepDataDir: true });
    const health = (await (await fetch(`${again.httpUrl}/health`)).json()) as { headSeq: number; replicaSeq: number };
    expect(health.headSeq).toBe(seq);
    expect(health.replicaSeq).toBe(seq);
    const d = await pool.connect(again.url);
    const dup = await d.executeTemplate("CREATE_USER", { id: "u2", name: "B" });
    expect(dup.seq).toBe(seq + 1);
  });
});

/** Event ids in an outbox file, read with a connection of the test's own. */
function outboxIds(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.query<{ id: string }, []>("SELECT id FROM outbox").all().map((r) => r.id);
  } finally {
    db.close();
  }
}

/** Every event of a gateway's log, through catch-up from seq 0 on a bare socket. */
async function readLog(url: string): Promise<{ id: string; seq: number }[]> {
  await using s = await RawSocket.open(url);
  s.send({ type: "hello", clientId: "log-reader", lastSeq: 0 });
  const out: { id: string; seq: number }[] = [];
  for (;;) {
    const m = await s.next();
    if (m["type"] === "events") out.push(...(m["events"] as { id: string; seq: number }[]));
    if (m["type"] === "live") return out;
  }
}

describe("durable outbox", () => {
  test("events handed to a persistent client survive its crash and are delivered exactly once after restart", async () => {
    using dir = tempDir();
    await using pool = new ClientPool();
    const dbPath = join(dir.path, "writer.kuzu");
    // A port nobody listens on yet: reserve one, then release it for the gateway started later.
    const probe = Bun.serve({ port: 0, fetch: () => new Response() });
    const port = probe.port!;
    probe.stop(true);
    const child = Bun.spawn(["bun", join(import.meta.dir, "support/outbox-writer.ts"), `ws://127.0.0.1:${port}`, dbPath, "25"], { stdout: "pipe", stderr: "inherit" });
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    const report = JSON.parse(new TextDecoder().decode(value)) as { pending: number; clientId: string };
    expect(report.pending).toBe(25);
    child.kill("SIGKILL"); // crash with all 25 un-acked
    await child.exited;

    await using gw = await startGatewayProcess({ port });
    const revived = pool.make(gw.url, { dbPath });
    await revived.connect();
    expect(revived.clientId).toBe(report.clientId);
    const observer = await pool.connect(gw.url);
    await revived.flush(); // the 25 resent from the outbox are acknowledged
    expect(revived.pendingCount).toBe(0);
    const head = headAfter(25); // the registry's genesis, then the 25 writes
    await observer.waitForSeq(head);
    expect(await observer.query("MATCH (c:Counter {id: 'durable'}) RETURN c.value AS v")).toEqual([{ v: 25 }]);
    const health = (await (await fetch(`${gw.httpUrl}/health`)).json()) as { headSeq: number };
    expect(health.headSeq).toBe(head);
    // Once more, to be sure nothing is resent from a stale outbox.
    await revived.close();
    const again = pool.make(gw.url, { dbPath });
    await again.connect();
    expect(again.pendingCount).toBe(0);
    expect(((await (await fetch(`${gw.httpUrl}/health`)).json()) as { headSeq: number }).headSeq).toBe(head);
  });

  test("group commit: a persistent writer SIGKILLed mid-run loses no acknowledged event, and its outbox is resent exactly once", async () => {
    using dir = tempDir();
    await using pool = new ClientPool();
    await using gw = await startGatewayProcess({ args: ["--rate-limit", "0"] });
    const dbPath = join(dir.path, "writer.kuzu");
    const child = Bun.spawn(["bun", join(import.meta.dir, "support/group-commit-writer.ts"), gw.url, dbPath, "5000", "300"], { stdout: "pipe", stderr: "inherit" });
    const acked = new Map<string, number>();
    let clientId = "";
    try {
      const decoder = new TextDecoder();
      let buffer = "";
      // Kill it once a good share of its events were acknowledged, with hundreds still in flight.
      for await (const chunk of child.stdout) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        for (const line of lines) {
          const [a, b] = line.split(" ") as [string, string];
          if (a === "clientId") clientId = b;
          else if (a !== "done") acked.set(a, Number(b));
        }
        if (acked.size >= 1500) break;
      }
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }
    expect(acked.size).toBeGreaterThanOrEqual(1500);
    expect(acked.size).toBeLessThan(5000);

    // What the crash left in the outbox: events not acknowledged yet (acknowledged ones may linger
    // until their removal was committed; they are answered as duplicates when resent).
    const left = outboxIds(`${dbPath}.outbox.sqlite`);
    const revived = pool.make(gw.url, { dbPath });
    await revived.connect();
    expect(revived.clientId).toBe(clientId);
    await revived.flush();
    expect(revived.pendingCount).toBe(0);

    // The log, read back from seq 0: every acknowledged event at the seq its promise resolved
    // with, every event the outbox held, each id exactly once.
    const log = await readLog(gw.url);
    const seqOf = new Map<string, number>();
    for (const e of log) {
      expect(seqOf.has(e.id)).toBe(false);
      seqOf.set(e.id, e.seq);
    }
    for (const [id, seq] of acked) expect(seqOf.get(id)).toBe(seq);
    for (const id of left) expect(seqOf.has(id)).toBe(true);
    // The registry's genesis, then this writer's events only.
    expect(log.filter((e) => isRegistryEventId(e.id)).map((e) => e.seq)).toEqual([GENESIS_SEQ]);
    expect([...seqOf.keys()].filter((id) => !isRegistryEventId(id)).every((id) => /^gc-\d+$/.test(id))).toBe(true);
    const observer = await pool.connect(gw.url);
    await observer.waitForSeq(log.length);
    expect(await observer.query("MATCH (u:User) RETURN count(u) AS n")).toEqual([{ n: log.length - 1 }]);
  });

  test("flush() waits for the outbox across a gateway restart, and rejects with CLOSED when the client closes first", async () => {
    using dir = tempDir();
    await using pool = new ClientPool();
    const first = await startGatewayProcess({ dataDir: dir.path });
    const port = first.port;
    const c = await pool.connect(first.url, { backoff: { initialDelayMs: 20, maxDelayMs: 200 } });
    await c.flush(); // nothing pending: resolves at once
    expect(await first.stop()).toBe(0);
    const queued = c.executeTemplate("INCREMENT_COUNTER", { counterId: "flush", amount: 3 });
    expect(c.pendingCount).toBe(1);
    const flushed = c.flush();
    await using gw = await startGatewayProcess({ dataDir: dir.path, port });
    await flushed;
    expect(c.pendingCount).toBe(0);
    const { seq } = await queued;
    await c.waitForSeq(seq);
    expect(await c.query("MATCH (k:Counter {id: 'flush'}) RETURN k.value AS v")).toEqual([{ v: 3 }]);

    expect(await gw.stop()).toBe(0);
    const stranded = c.executeTemplate("INCREMENT_COUNTER", { counterId: "flush", amount: 4 });
    stranded.catch(() => {});
    const never = c.flush();
    await c.close();
    await expect(never).rejects.toMatchObject({ code: "CLOSED" });
  });
});
