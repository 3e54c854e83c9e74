import { afterEach, describe, expect, test, setDefaultTimeout } from "bun:test";
import { headers } from "nats";
import { join } from "node:path";
import { defineTemplates, registryChange, registryEvent, z, type ClientEvent, type SequencedEvent } from "@kuzu-sync/protocol";
import { JetStreamEventLog, logSubject, NatsLink } from "@kuzu-sync/log";
import { ensureStream, openConsumer, originOf, rawHeaders } from "../packages/log/src/jetstream-stream.ts";
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

async function openLog(
  url: string,
  indexPath: string,
  cacheSize?: number,
  freshForMs?: number,
): Promise<{ log: JetStreamEventLog; link: NatsLink; seen: SequencedEvent[] }> {
  const link = NatsLink.open({ url, name: "test", logger });
  const log = await JetStreamEventLog.open({
    link,
    stream: STREAM,
    replicas: 1,
    indexPath,
    logger,
    ...(cacheSize === undefined ? {} : { cacheSize }),
    ...(freshForMs === undefined ? {} : { freshForMs }),
  });
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

/**
 * Resolves once `log` has consumed up to `seq`. An ack does not wait for that: it comes from
 * JetStream's PubAck whenever that seq is certain (PROTOCOL.md §9.3).
 */
function consumed(log: JetStreamEventLog, seq: number): Promise<void> {
  if (log.headSeq >= seq) return Promise.resolve();
  return new Promise((resolve) => {
    const off = log.onCommit(() => {
      if (log.headSeq < seq) return;
      off();
      resolve();
    });
  });
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
    await consumed(log, 50);
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
    await consumed(a.log, 4);
    expect(a.seen.find((e) => e.seq === 3)).toMatchObject({ id: first.id, duplicateOf: firstSeq });
    // A resend of that id is acknowledged with its first seq.
    expect(await a.log.append([first])).toEqual([{ seq: firstSeq, duplicate: true }]);
    expect(a.log.templateCounts()).toEqual({ INCREMENT_COUNTER: 3 });

    // A second gateway building its index from the stream decides the same.
    const b = await openLog(nats.url, join(dir(), "index.sqlite"));
    const [{ seq: last }] = (await b.log.append([event()])) as unknown as [{ seq: number }];
    await consumed(b.log, last);
    expect(b.seen.map((e) => [e.seq, e.duplicateOf ?? null])).toEqual([[1, null], [2, null], [3, firstSeq], [4, null], [5, null]]);
    expect(b.log.templateCounts()).toEqual({ INCREMENT_COUNTER: 4 });
  });

  test("acks taken from JetStream's PubAck are what the consumer decides: resends in one group, across groups and across gateways", async () => {
    const nats = await startNats();
    const a = await openLog(nats.url, join(dir(), "index.sqlite"));
    const b = await openLog(nats.url, join(dir(), "index.sqlite"));
    // Warm up: both consumers have been caught up recently, so PubAcks are trusted.
    await a.log.append([event()]);
    await consumed(b.log, 1);
    const events = Array.from({ length: 300 }, () => event());
    // The same ids through both gateways at once, and twice within one group.
    const [fromA, fromB, again] = await Promise.all([a.log.append(events), b.log.append(events), a.log.append(events.slice(0, 50))]);
    const head = Math.max(...fromA.map((o) => o.seq), ...fromB.map((o) => o.seq));
    expect(head).toBe(301);
    await Promise.all([consumed(a.log, head), consumed(b.log, head)]);
    for (const [i, e] of events.entries()) {
      const first = a.seen.find((s) => s.id === e.id)!.seq;
      expect([fromA[i]!.seq, fromB[i]!.seq, again[i]?.seq ?? first]).toEqual([first, first, first]);
    }
    // Exactly one of the three answers per id says it was new.
    for (const [i] of events.entries()) expect([fromA[i]!, fromB[i]!, again[i]].filter((o) => o !== undefined && !o.duplicate).length).toBe(1);
    expect(a.seen.some((e) => e.duplicateOf !== undefined)).toBe(false);
    expect(a.log.templateCounts()).toEqual({ INCREMENT_COUNTER: 301 });
  });

  test("an append waits for its own consumer when the PubAck's seq cannot be trusted, and answers the id's first seq", async () => {
    const nats = await startNats();
    // freshForMs 0: the consumer's caught-up point is never recent enough, as after a long idle
    // spell or while this gateway's consumer lags.
    const a = await openLog(nats.url, join(dir(), "index.sqlite"), undefined, 0);
    await a.log.append([event(), event()]);
    await using nc = await natsClient(nats.url);
    for (let round = 0; round < 5; round++) {
      // Another copy of an id this gateway has not consumed yet, under another Nats-Msg-Id (what
      // an expired duplicate window looks like), racing the gateway's own append of that id: the
      // answer must be whichever copy the stream holds first, as every consumer decides.
      const x = event();
      const h = headers();
      h.set("Nats-Msg-Id", `other-${x.id}`);
      nc.publish(logSubject(STREAM), JSON.stringify({ ...x, serverTimestamp: Date.now() }), { headers: h });
      const [answer] = (await a.log.append([x])) as [{ seq: number; duplicate: boolean }];
      await consumed(a.log, answer.seq);
      const copies = a.seen.filter((e) => e.id === x.id).map((e) => e.seq);
      expect(answer.seq).toBe(Math.min(...copies));
      expect(a.log.headSeq).toBeGreaterThanOrEqual(answer.seq);
    }
  });

  test("a registry event's append resolves only once this gateway consumed it: the log's registry history has it (start-up reads it next)", async () => {
    const nats = await startNats();
    const a = await openLog(nats.url, join(dir(), "index.sqlite"));
    const b = await openLog(nats.url, join(dir(), "index.sqlite"));
    // Warm up: both consumers were caught up just now, so ordinary appends are answered from the PubAck.
    await a.log.append([event()]);
    await consumed(b.log, 1);
    const v1 = defineTemplates({ schema: ["CREATE NODE TABLE Note(id STRING, PRIMARY KEY(id))"], templates: { PUT_NOTE: { params: { id: z.string() }, cypher: "MERGE (n:Note {id: $id})" } } });
    const other = defineTemplates({ schema: ["CREATE NODE TABLE Memo(id STRING, PRIMARY KEY(id))"], templates: { PUT_MEMO: { params: { id: z.string() }, cypher: "MERGE (n:Memo {id: $id})" } } });
    // Two gateways record a genesis for version 1 at once, with different registries: each, once
    // its append resolved, sees the one the stream holds first (and the other as no version).
    const [fromA, fromB] = await Promise.all([
      a.log.append([event(), registryEvent(registryChange("genesis", v1.toWire()), Date.now())]).then((o) => o[1]!),
      b.log.append([registryEvent(registryChange("genesis", other.toWire()), Date.now())]).then((o) => o[0]!),
    ]);
    const winner = fromA.seq < fromB.seq ? v1 : other;
    for (const g of [a, b]) {
      expect(g.log.registry.latest()).toMatchObject({ version: 1, hash: winner.hash, seq: Math.min(fromA.seq, fromB.seq) });
    }
    expect(a.log.headSeq).toBeGreaterThanOrEqual(fromA.seq);
    expect(b.log.headSeq).toBeGreaterThanOrEqual(fromB.seq);
  });

  test("the origin header is read from the raw header block, as the NATS client would read it", async () => {
    const nats = await startNats();
    await using nc = await natsClient(nats.url);
    const jsm = await nc.jetstreamManager();
    await ensureStream(jsm, { name: STREAM, replicas: 1 });
    const variants: [string, Record<string, string>][] = [
      ["origin only", { "Kuzu-Sync-Origin": "gw-1" }],
      ["with msg id", { "Nats-Msg-Id": "m-2", "Kuzu-Sync-Origin": "gw-2" }],
      ["origin first", { "Kuzu-Sync-Origin": "  gw-3  ", Other: "x" }],
      ["other case", { "kuzu-sync-origin": "gw-4" }],
      ["look-alike key", { "X-Kuzu-Sync-Origin": "gw-5" }],
      ["none", { Other: "y" }],
    ];
    for (const [, hs] of variants) {
      const h = headers();
      for (const [k, v] of Object.entries(hs)) h.set(k, v);
      await nc.jetstream().publish(logSubject(STREAM), "{}", { headers: h });
    }
    await nc.jetstream().publish(logSubject(STREAM), "{}");
    const { consumer, remove } = await openConsumer(nc.jetstream(), jsm, STREAM, 1, 5_000);
    try {
      const messages = await consumer.fetch({ max_messages: variants.length + 1, expires: 5_000 });
      const got: [string | null, string | null, boolean][] = [];
      for await (const m of messages) got.push([originOf(m), m.headers?.get("Kuzu-Sync-Origin") || null, rawHeaders(m) !== null]);
      expect(got).toEqual([
        ["gw-1", "gw-1", true],
        ["gw-2", "gw-2", true],
        ["gw-3", "gw-3", true],
        [null, null, true],
        [null, null, true],
        [null, null, true],
        [null, null, true],
      ]);
    } finally {
      await remove();
    }
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
    await consumed(a.log, 62);
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
