/**
 * What gateways and `sync-archiver` agree on about a JetStream log besides the stream itself: how a
 * stream message decodes into a sequenced event, the KV bucket in which each gateway records its
 * server replica's durable position (the archiver's purge limit) and the archiver holds its lock,
 * and the core NATS subject on which the archiver announces a new horizon. Names and pure
 * functions only; the I/O lives beside them in this package.
 * @module
 */
import { ClientEventSchema, type SequencedEvent } from "@kuzu-sync/protocol";

/** KV bucket shared by the gateways and the archiver (one for every stream; keys name the stream). */
export const ARCHIVE_KV_BUCKET = "KUZU_SYNC_ARCHIVE";

/**
 * Key under which gateway `gatewayId` records how far its server replica has durably applied `stream`.
 * @example replicaPositionKey("KUZU_SYNC_EVENTS", origin) // "replica.KUZU_SYNC_EVENTS.<origin>"
 */
export function replicaPositionKey(stream: string, gatewayId: string): string {
  return `replica.${stream}.${gatewayId}`;
}

/**
 * KV key filter matching every gateway's position for `stream`.
 * @example for await (const key of await kv.keys(replicaPositionFilter(stream))) { ... }
 */
export function replicaPositionFilter(stream: string): string {
  return `replica.${stream}.*`;
}

/**
 * Key of the lock a `sync-archiver run` holds on `stream`.
 * @example await kv.create(archiveLockKey("KUZU_SYNC_EVENTS"), holder)
 */
export function archiveLockKey(stream: string): string {
  return `lock.${stream}`;
}

/**
 * Core NATS subject on which the archiver announces a purge (`{ stream, horizon }`); gateways
 * re-read the stream's first seq when they hear it. At most once: gateways also poll.
 * @example nc.publish(horizonSubject("KUZU_SYNC_EVENTS"), JSON.stringify({ stream, horizon }))
 */
export function horizonSubject(stream: string): string {
  return `kuzu-sync.horizon.${stream}`;
}

/** The value of a replica position key. */
export interface ReplicaPosition {
  /** The gateway's origin id (its `Kuzu-Sync-Origin`, kept in its data dir). */
  readonly gateway: string;
  /** Highest seq its server replica has applied and committed. */
  readonly seq: number;
  /** Gateway clock when recorded (ms); informational, the archiver ages entries by KV time. */
  readonly recordedAt: number;
}

/**
 * A replica position read back from KV, or null when it is not one.
 * @example const p = parseReplicaPosition(entry.json()); if (p) limit = Math.min(limit, p.seq);
 */
export function parseReplicaPosition(value: unknown): ReplicaPosition | null {
  if (typeof value !== "object" || value === null) return null;
  const { gateway, seq, recordedAt } = value as Record<string, unknown>;
  if (typeof gateway !== "string" || !Number.isSafeInteger(seq) || (seq as number) < 0 || typeof recordedAt !== "number") return null;
  return { gateway, seq: seq as number, recordedAt };
}

/**
 * A stream message body (a client event plus the appending gateway's `serverTimestamp`) with its
 * stream seq as a sequenced event; null when the body is not one.
 * @example const event = decodeLogRecord(msg.json(), msg.seq);
 */
export function decodeLogRecord(body: unknown, seq: number): SequencedEvent | null {
  if (typeof body !== "object" || body === null) return null;
  const { serverTimestamp, ...rest } = body as Record<string, unknown>;
  const parsed = ClientEventSchema.safeParse(rest);
  if (!parsed.success || typeof serverTimestamp !== "number") return null;
  return { ...parsed.data, seq, serverTimestamp };
}
