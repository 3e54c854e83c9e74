/**
 * What gateways and `sync-archiver` agree on about a JetStream log besides the stream itself
 * (`jetstream-stream.ts`): the KV bucket in which each gateway records its server replica's
 * durable position (the archiver's purge limit) and the archiver holds its lock, and the core NATS
 * subject on which the archiver announces a new horizon.
 * @module
 */
import type { JetStreamClient, KV, NatsConnection } from "nats";

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
 * Key under which the gateways mirror registry version `version` of `stream` (its entry in the
 * index, JSON): the registry events themselves may be archived, and `sync-server plan
 * --nats-url` reads the versions from here without consuming the stream.
 * @example registryVersionKey("KUZU_SYNC_EVENTS", 2) // "registry.KUZU_SYNC_EVENTS.2"
 */
export function registryVersionKey(stream: string, version: number): string {
  return `registry.${stream}.${version}`;
}

/**
 * KV key filter matching every registry version mirrored for `stream`.
 * @example for await (const key of await kv.keys(registryVersionFilter(stream))) { ... }
 */
export function registryVersionFilter(stream: string): string {
  return `registry.${stream}.*`;
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

/**
 * The KV bucket positions (and the archiver's lock) live in; created with `replicas` when absent.
 * @example const kv = await archiveKv(nc.jetstream(), 1); await kv.get(replicaPositionKey(stream, origin));
 */
export function archiveKv(js: JetStreamClient, replicas: number): Promise<KV> {
  return js.views.kv(ARCHIVE_KV_BUCKET, { history: 1, replicas });
}

/**
 * Tell the gateways that `stream` now starts at `horizon` (after a purge), and wait until NATS has it.
 * @example await announceHorizon(nc, "KUZU_SYNC_EVENTS", 1001);
 */
export async function announceHorizon(nc: NatsConnection, stream: string, horizon: number): Promise<void> {
  nc.publish(horizonSubject(stream), JSON.stringify({ stream, horizon }));
  await nc.flush();
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
 * The KV value recording that gateway `gatewayId`'s server replica is at `seq` (JSON).
 * @example await kv.put(replicaPositionKey(stream, origin), positionValue(origin, 120));
 */
export function positionValue(gatewayId: string, seq: number, now = Date.now()): string {
  const value: ReplicaPosition = { gateway: gatewayId, seq, recordedAt: now };
  return JSON.stringify(value);
}
