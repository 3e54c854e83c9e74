/**
 * The JetStream side of archive tests: events published into the log stream exactly as a gateway
 * writes them but with chosen server timestamps (so tests age events instead of waiting), the
 * stream's state, and the server replica positions the gateways record in KV for the archiver.
 * @module
 */
import { nanos, StorageType } from "nats";
import { exampleRegistry, registryChange, registryEvent, type ClientEvent, type SequencedEvent, type TemplateRegistry } from "@kuzu-sync/protocol";
import { ARCHIVE_KV_BUCKET, encodeStreamEvent, logSubject, parseReplicaPosition, replicaPositionFilter } from "@kuzu-sync/log";
import type { AgedBatch } from "./aged-log.ts";
import { natsClient, withDeadline } from "./jetstream.ts";

/**
 * A new log stream as its first gateway would have written it at time `at`: the stream (settings
 * of docs/PROTOCOL.md §9.2; a gateway that starts later updates whatever else it wants) holding
 * the `genesis` registry event of `registry` (the gateways' default: the example registry) at
 * seq 1, with server timestamp `at`. Gateways started on it find their registry recorded and
 * append nothing, so the aged events published next are the whole rest of the log — as old as
 * the tests say, behind a genesis that is older still. Returns the genesis as sequenced.
 * @example const genesis = await createAgedStream(natsUrl, STREAM, now - 40 * DAY);
 */
export async function createAgedStream(natsUrl: string, stream: string, at: number, registry: TemplateRegistry = exampleRegistry): Promise<SequencedEvent> {
  await using nc = await natsClient(natsUrl);
  await (await nc.jetstreamManager()).streams.add({ name: stream, subjects: [logSubject(stream)], storage: StorageType.File, duplicate_window: nanos(120_000) });
  const event = registryEvent(registryChange("genesis", registry.toWire()), at);
  const ack = await nc.jetstream().publish(logSubject(stream), encodeStreamEvent(event, at), { msgID: event.id });
  return { ...event, seq: ack.seq, serverTimestamp: at };
}

/**
 * Publish `count` events per batch with server timestamp `at` into the stream (created by a
 * gateway or by {@link createAgedStream} beforehand). `tag` keeps ids unique across calls.
 * Returns the events as sequenced.
 */
export async function publishAged(natsUrl: string, stream: string, batches: readonly AgedBatch[], tag = "aged"): Promise<SequencedEvent[]> {
  await using nc = await natsClient(natsUrl);
  const js = nc.jetstream();
  const out: SequencedEvent[] = [];
  let n = 0;
  for (const b of batches) {
    for (let i = 0; i < b.count; i++, n++) {
      const event: ClientEvent = {
        id: `${tag}-${n}-${crypto.randomUUID()}`,
        template: n % 3 === 0 ? "INCREMENT_COUNTER" : "CREATE_USER",
        params: n % 3 === 0 ? { counterId: `c${n % 7}`, amount: n } : { id: `u${n % 11}`, name: `name ${n} é "q"`, email: null },
        clientId: "aged-writer",
        timestamp: b.at - 5,
      };
      const ack = await js.publish(logSubject(stream), encodeStreamEvent(event, b.at), { msgID: event.id });
      out.push({ ...event, seq: ack.seq, serverTimestamp: b.at });
    }
  }
  return out;
}

/** first/last seq and message count of the stream. */
export async function streamState(natsUrl: string, stream: string): Promise<{ first: number; last: number; messages: number }> {
  await using nc = await natsClient(natsUrl);
  const { state } = await (await nc.jetstreamManager()).streams.info(stream);
  return { first: state.first_seq, last: state.last_seq, messages: state.messages };
}

/**
 * Resolves with every recorded position once `gateways` of them have recorded at least `seq`
 * (watched in KV, not polled). Gateways record after their server replica committed.
 */
export async function positionsAt(natsUrl: string, stream: string, gateways: number, seq: number, timeoutMs = 20_000): Promise<Map<string, number>> {
  await using nc = await natsClient(natsUrl);
  const kv = await nc.jetstream().views.kv(ARCHIVE_KV_BUCKET);
  const positions = new Map<string, number>();
  const watch = await kv.watch({ key: replicaPositionFilter(stream) });
  const done = (async () => {
    for await (const e of watch) {
      const p = e.operation === "PUT" ? parseReplicaPosition(e.json()) : null;
      if (p) positions.set(p.gateway, p.seq);
      if ([...positions.values()].filter((s) => s >= seq).length >= gateways) return positions;
    }
    return positions;
  })();
  try {
    return await withDeadline(done, timeoutMs, () => `replica positions ${JSON.stringify([...positions])}, waiting for ${gateways} at ${seq}`);
  } finally {
    watch.stop();
  }
}
