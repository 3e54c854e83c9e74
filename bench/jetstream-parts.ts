#!/usr/bin/env bun
/**
 * Where a JetStream gateway's CPU goes, stage by stage, each measured alone in this process (CPU
 * µs per event from `process.cpuUsage()`, N events, after a warm-up of the same size): what
 * bench/jetstream.ts sees as one figure per gateway, taken apart.
 *
 *   bun bench/jetstream-parts.ts            # N=20000
 *
 * Stages: reading a client's `event` frame (parse + template check); publishing to JetStream and
 * reading the PubAck (this log's pipelined publisher, and nats.js `js.publish` for comparison);
 * consuming (the NATS client alone, + JSON, + the full decode with origin header); the index
 * transaction; the server replica's Kuzu apply at several batch sizes; the republish on core
 * NATS; encoding a fan-out frame.
 * @module
 */
import { headers } from "nats";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeClientMessage, encodeServerMessage, exampleRegistry, parseClientMessage, type ClientEvent, type SequencedEvent } from "@kuzu-sync/protocol";
import { Replica } from "@kuzu-sync/replica";
import { createLogger } from "@kuzu-sync/telemetry";
import { JetStreamIndex } from "../packages/log/src/jetstream-index.ts";
import { JetStreamPublisher } from "../packages/log/src/jetstream-publisher.ts";
import { decodeStreamEvent, encodeStreamEvent, ensureStream, logSubject, openConsumer } from "../packages/log/src/jetstream-stream.ts";
import { checkEvent } from "../packages/sync-server/src/event-checks.ts";
import { natsClient } from "../tests/support/jetstream.ts";
import { NatsServer } from "../tests/support/nats-server.ts";

const N = Number(process.env["N"] ?? 20_000);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const rows: [string, number][] = [];
/** Run `work` twice (warm-up, then measured); record CPU µs per event. */
async function stage(label: string, work: (round: number) => Promise<void> | void): Promise<void> {
  // A stage that stops making progress fails loudly (an empty event loop would end the run quietly).
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${label}: no progress within 120 s`)), 120_000)));
  try {
    await Promise.race([work(0), stuck]);
    const c0 = cpu();
    await Promise.race([work(1), stuck]);
    rows.push([label, ((cpu() - c0) * 1000) / N]);
  } finally {
    clearTimeout(timer);
  }
}

const events = (round: number): ClientEvent[] =>
  Array.from({ length: N }, (_, i) => ({
    id: `r${round}-e${i}-${crypto.randomUUID()}`,
    template: "INCREMENT_COUNTER",
    params: { counterId: `c-${i % 8}-${i % 1000}`, amount: 1 },
    clientId: `w${i % 8}`,
    timestamp: Date.now(),
  }));

// ---- the client's frame --------------------------------------------------------------------
{
  const frames = [0, 1].map((r) => events(r).map((event) => encodeClientMessage({ type: "event", event })));
  const writer = { clientId: "w0", principal: null };
  await stage("read an event frame: parse (zod) + template check", (round) => {
    for (const frame of frames[round]!) {
      const parsed = parseClientMessage(frame);
      if (parsed.ok && parsed.message.type === "event") checkEvent({ ...parsed.message.event, clientId: "w0" }, writer, exampleRegistry, false);
    }
  });
}

await using nats = await NatsServer.start();
await using nc = await natsClient(nats.url);
const jsm = await nc.jetstreamManager();
const stream = "PARTS";
await ensureStream(jsm, { name: stream, replicas: 1 });

// ---- publishing ----------------------------------------------------------------------------
for (const group of [32, 256]) {
  const publisher = new JetStreamPublisher({ nc, subject: logSubject(stream), origin: "parts-origin", timeoutMs: 30_000 });
  await stage(`publish + PubAck, pipelined publisher, groups of ${group}`, async (round) => {
    const list = events(round + group * 10);
    for (let i = 0; i < list.length; i += group) {
      await Promise.all(list.slice(i, i + group).map((e) => publisher.publish(e.id, encodeStreamEvent(e, Date.now()))));
    }
  });
  publisher.close();
}
{
  const js = nc.jetstream();
  await stage("publish + PubAck, nats.js js.publish, groups of 32 (baseline)", async (round) => {
    const list = events(round + 1000);
    for (let i = 0; i < list.length; i += 32) {
      await Promise.all(
        list.slice(i, i + 32).map((e) => {
          const h = headers();
          h.set("Kuzu-Sync-Origin", "parts-origin");
          return js.publish(logSubject(stream), encodeStreamEvent(e, Date.now()), { msgID: e.id, headers: h });
        }),
      );
    }
  });
}

// ---- consuming -----------------------------------------------------------------------------
const decoded: SequencedEvent[] = [];
for (const mode of ["the NATS client alone", "+ JSON.parse", "+ full decode (record check, origin header)"] as const) {
  await stage(`consume: ${mode}`, async () => {
    const { consumer, remove } = await openConsumer(nc.jetstream(), jsm, stream, 1, 10_000);
    try {
      let got = 0;
      let done!: () => void;
      const all = new Promise<void>((resolve) => (done = resolve));
      const messages = await consumer.consume({
        max_messages: 1000,
        callback: (m) => {
          if (mode === "+ JSON.parse") m.json();
          else if (mode !== "the NATS client alone") {
            const e = decodeStreamEvent(m).event;
            if (decoded.length < N) decoded.push(e);
          }
          if (++got === N) done();
        },
      });
      await all;
      await messages.close();
    } finally {
      await remove();
    }
  });
}

// ---- index, replica, republish, fan-out encode ----------------------------------------------
for (const group of [50, 500]) {
  const index = JetStreamIndex.open(":memory:", { aggregates: exampleRegistry.toWire().aggregates });
  await stage(`index transaction (ids, counts, aggregates, head), groups of ${group}`, (round) => {
    const base = round * N;
    for (let i = 0; i < N; i += group) index.record(decoded.slice(i, i + group).map((e, k) => ({ ...e, id: `${e.id}-${round}`, seq: base + i + k + 1 })));
  });
  index.close();
}
const logger = createLogger({ serviceName: "parts", level: "error" });
for (const batch of [50, 500, 2000]) {
  const dir = mkdtempSync(join(tmpdir(), "parts-replica-"));
  const replica = await Replica.open({ path: join(dir, "db.kuzu"), logger });
  try {
    await replica.install(exampleRegistry.toWire(), { prepareAll: true });
    await stage(`server replica apply (Kuzu), batches of ${batch}`, async (round) => {
      const base = round * N;
      for (let i = 0; i < N; i += batch) await replica.apply(decoded.slice(i, i + batch).map((e, k) => ({ ...e, seq: base + i + k + 1 })));
    });
  } finally {
    await replica.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
{
  const encoder = new TextEncoder();
  await stage("republish on core NATS (kuzu-sync.events.<T>)", async () => {
    for (const e of decoded) nc.publish(`kuzu-sync.events.${e.template}`, encoder.encode(JSON.stringify(e)));
    await nc.flush();
  });
  await stage("encode fan-out frames (groups of 50)", () => {
    for (let i = 0; i < N; i += 50) encodeServerMessage({ type: "events", events: decoded.slice(i, i + 50) });
  });
}

console.log(`N=${N} (bun ${Bun.version}, ${navigator.hardwareConcurrency} cores; load average ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")})`);
console.log("| stage | CPU µs per event |");
console.log("| --- | ---: |");
for (const [label, us] of rows) console.log(`| ${label} | ${us.toFixed(1)} |`);
