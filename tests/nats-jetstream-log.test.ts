import { afterEach, describe, expect, test, setDefaultTimeout } from "bun:test";
import { headers } from "nats";
import { join } from "node:path";
import type { ClientEvent, SequencedEvent } from "@kuzu-sync/protocol";
import { JetStreamEventLog, logSubject, NatsLink } from "@kuzu-sync/log";
import { createLogger } from "@kuzu-sync/telemetry";
import { tempDir } from "./support/gateway-process.ts";
import { natsClient, streamContents } from "./support/jetstream.ts";
import { NatsServer, natsServerBinary } from "./support/nats-server.ts";

// These tests start real nats-server and gateway processes (bunfig has no test timeout setting).
setDefaultTimeout(60_000);

const logger = createLogger({ serviceName: "test", level: "error" });
const STREAM = "TEST_EVENTS";

/** Everything opened by a test, closed after it whatever happened. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let n = 0;
function event(template = "INCREMENT_COUNTER", params: Record<string, unknown> = { counterId: "c", amount: 1 }, id = `e-${++n}`): ClientEvent {
  return { id, template, params, clientId: "test", timestamp: Date.now() };
}

async function openLog(url: string, indexPath: string, cacheSize?: number): Promise<{ log: JetStreamEventLog; link: NatsLink; seen: SequencedEvent[] }> {
  const link = NatsLink.open({ url, name: "test", logger });
  const log = await JetStreamEventLog.open({ link, stream: STREAM, replicas: 1, indexPath, logger, ...(cacheSize === undefined ? {} : { cacheSize }) });
  const seen: SequencedEvent[] = [];
  log.onCommit(({ events }) => seen.push(...events));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await log.close();
    await link.close();
  };
  cleanups.push(close);
  return { log, link, seen };
}

async function startNats(): Promise<NatsServer> {
  const nats = await NatsServer.start();
  cleanups.push(() => nats[Symbol.asyncDispose]());
  return nats;
}

function dir(): string {
  const d = tempDir("jslog-");
  cleanups.push(() => d[Symbol.dispose]());
  return d.path;
}

describe("JetStream event log", () => {
  test("appends in stream order; the stream seq is the event seq; a resend returns the original seq", async () => {
    const nats = await startNats();
    const { log, seen } = await openLog(nats.url, join(dir(), "index.sqlite"));
    const events = Array.from({ length: 50 }, () => event());
    const outcomes = await log.append(events);
    expect(outcomes.map((o) => o.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(outcomes.every((o) => !o.duplicate)).toBe(true);
    // Acked means consumed by this gateway too: its head covers every acked seq.
    expect(log.headSeq).toBe(50);
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const stream = await streamContents(nats.url, STREAM);
    expect(stream.map((m) => m.id)).toEqual(seen.map((e) => e.id));
    expect(await log.append([events[7]!])).toEqual([{ seq: outcomes[7]!.seq, duplicate: true }]);
    expect(log.templateCounts()).toEqual({ INCREMENT_COUNTER: 50 });
  });

  test("an id stored again after the duplicate window becomes a no-effect slot, the same on every gateway", async () => {
    const nats = await startNats();
    const a = await openLog(nats.url, join(dir(), "index.sqlite"));
    const first = event();
    const [{ seq: firstSeq }] = (await a.log.append([first, event()])) as [{ seq: number }, unknown];
    // What a gateway whose index lagged would do past JetStream's window: store the same id
    // again. A different Nats-Msg-Id stands in for the expired window.
    await using nc = await natsClient(nats.url);
    const h = headers();
    h.set("Kuzu-Sync-Origin", "another-gateway");
    const late = await nc.jetstream().publish(logSubject(STREAM), JSON.stringify({ ...first, serverTimestamp: Date.now() }), { msgID: "window-expired", headers: h });
    expect(late.seq).toBe(3);
    const after = await a.log.append([event()]);
    expect(after[0]!.seq).toBe(4);
    expect(a.seen.find((e) => e.seq === 3)).toMatchObject({ id: first.id, duplicateOf: firstSeq });
    // A resend of that id is acknowledged with its first seq.
    expect(await a.log.append([first])).toEqual([{ seq: firstSeq, duplicate: true }]);
    expect(a.log.templateCounts()).toEqual({ INCREMENT_COUNTER: 3 });

    // A second gateway building its index from the stream decides the same.
    const b = await openLog(nats.url, join(dir(), "index.sqlite"));
    await b.log.append([event()]);
    expect(b.seen.map((e) => [e.seq, e.duplicateOf ?? null])).toEqual([[1, null], [2, null], [3, firstSeq], [4, null], [5, null]]);
    expect(b.log.templateCounts()).toEqual({ INCREMENT_COUNTER: 4 });
  });

  test("catch-up older than the in-memory window is read from the stream, duplicate slots marked", async () => {
    const nats = await startNats();
    const indexPath = join(dir(), "index.sqlite");
    const a = await openLog(nats.url, indexPath, 10);
    const first = event();
    await a.log.append([first]);
    for (let i = 0; i < 4; i++) await a.log.append(Array.from({ length: 10 }, () => event()));
    await using nc = await natsClient(nats.url);
    await nc.jetstream().publish(logSubject(STREAM), JSON.stringify({ ...first, serverTimestamp: 1 }), { msgID: "again" });
    await a.log.append(Array.from({ length: 20 }, () => event()));
    expect(a.log.headSeq).toBe(62);
    const page = await a.log.read(0, 100);
    expect(page.map((e) => e.seq)).toEqual(Array.from({ length: 62 }, (_, i) => i + 1));
    expect(page.filter((e) => e.duplicateOf !== undefined).map((e) => [e.seq, e.duplicateOf])).toEqual([[42, 1]]);
    expect((await a.log.read(30, 5)).map((e) => e.seq)).toEqual([31, 32, 33, 34, 35]);
    expect((await a.log.read(55, 100)).map((e) => e.seq)).toEqual([56, 57, 58, 59, 60, 61, 62]);
  });

  test("the index outlives restarts: a resend long after is still recognised, counts are kept", async () => {
    const nats = await startNats();
    const indexPath = join(dir(), "index.sqlite");
    const a = await openLog(nats.url, indexPath);
    const e = event("CREATE_USER", { id: "u1", name: "A" });
    await a.log.append([e, event()]);
    await a.log.close();
    await a.link.close();
    const b = await openLog(nats.url, indexPath);
    expect(b.log.headSeq).toBe(2);
    expect(b.log.templateCounts()).toEqual({ CREATE_USER: 1, INCREMENT_COUNTER: 1 });
    expect(await b.log.append([e])).toEqual([{ seq: 1, duplicate: true }]);
    expect((await streamContents(nats.url, STREAM)).length).toBe(2);
  });

  test("a stream behind the local index (recreated) stops start-up with a message", async () => {
    const nats = await startNats();
    const indexPath = join(dir(), "index.sqlite");
    const a = await openLog(nats.url, indexPath);
    await a.log.append([event(), event()]);
    await a.log.close();
    await a.link.close();
    await using nc = await natsClient(nats.url);
    await (await nc.jetstreamManager()).streams.delete(STREAM);
    await expect(openLog(nats.url, indexPath)).rejects.toThrow(/stream TEST_EVENTS ends at seq 0 but this gateway's index .* is at seq 2/);
  });

  test("while NATS is unreachable, appends are refused at once with a retryable LOG_UNAVAILABLE", async () => {
    const nats = await startNats();
    const { log, link } = await openLog(nats.url, join(dir(), "index.sqlite"));
    await log.append([event()]);
    const down = new Promise<void>((resolve) => link.onChange((up) => up || resolve()));
    await nats.kill();
    await down;
    const error = await log.append([event()]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "LOG_UNAVAILABLE", retryable: true });
  });
});

describe("nats-server test support", () => {
  test("a missing binary is an error that says how to install it", () => {
    expect(() => natsServerBinary({ PATH: "/nonexistent" })).toThrow(/apt-get install -y nats-server/);
  });
});
