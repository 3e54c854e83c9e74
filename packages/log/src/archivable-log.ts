/**
 * What sync-archiver needs from a hot event log. The embedded SQLite log implements it in
 * `sqlite-archivable-log.ts`; the JetStream log in `jetstream-archivable-log.ts` (reads by
 * sequence with the events' server timestamps, `purge` with `seq` = toSeq + 1, the stream's first
 * sequence as horizon, the minimum of the gateways' server replica positions recorded in KV as
 * purge limit, and a KV-based lock).
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";

/** The purge limit, and what the operator should know about how it was found. */
export interface PurgeLimit {
  /** Highest seq that may be purged (0: nothing may be). */
  readonly seq: number;
  /** One line each: no gateway recorded, a gateway ignored as gone or already behind the horizon. */
  readonly notes: readonly string[];
}

/**
 * A hot log that can hand out its oldest events and forget them once they are archived.
 * @example
 * await using lock = await log.lock();
 * const old = await log.readOlderThan(Date.now() - 30 * 86_400_000, (await log.horizon()) - 1, 10_000);
 * // ... upload and verify old ...
 * await log.purgeThrough(old.at(-1)!.seq);
 */
export interface ArchivableLog {
  /** Where the log lives, for messages (a file path, a stream name). */
  readonly location: string;
  /** First seq still held; head + 1 when everything is archived. */
  horizon(): Promise<number>;
  /** Highest committed seq (0 when empty). */
  head(): Promise<number>;
  /**
   * Highest seq that may be purged: what the gateways' server replicas have durably applied. They
   * build the snapshots replicas behind the horizon need, so they must never miss an event.
   */
  purgeLimit(): Promise<PurgeLimit>;
  /**
   * Events with seq > `afterSeq`, in seq order, at most `limit`, stopping before the first one
   * whose server timestamp is not older than `cutoffMs` (so the result is always a prefix).
   */
  readOlderThan(cutoffMs: number, afterSeq: number, limit: number): Promise<SequencedEvent[]>;
  /**
   * Forget every event with seq ≤ `seq` and record `seq + 1` as the horizon, atomically. The
   * id index used for deduplication is kept: a late resend of an archived event is still known.
   */
  purgeThrough(seq: number): Promise<void>;
  /**
   * Put archived events back into the hot log just below its horizon (`sync-archiver restore
   * --replay`), so replicas slightly behind can catch up from the log again. `events` must end at
   * horizon − 1; the horizon moves down to the first. Optional: a JetStream stream cannot take
   * messages below its first sequence.
   */
  restoreBelowHorizon?(events: readonly SequencedEvent[]): Promise<void>;
  /** Exclusive right to archive this log; a second run fails instead of racing the first. */
  lock(): Promise<AsyncDisposable>;
  close(): Promise<void>;
}
