/**
 * The event log interface every backend implements (embedded SQLite, JetStream). Readers that
 * follow it from a seq on use a `LogCursor` (`log-cursor.ts`); commits arrive as a `Commit`
 * (`commit.ts`), which says which events take effect.
 * @module
 */
import type { ClientEvent, SequencedEvent } from "@kuzu-sync/protocol";
import type { AggregateReader } from "./aggregate-store.ts";
import type { Commit } from "./commit.ts";
import type { QuarantineEntry } from "./quarantine.ts";
import type { RegistryHistory } from "./registry-history.ts";

/** Result of appending one event: its global seq, and whether the id had been seen before. */
export interface AppendOutcome {
  readonly seq: number;
  readonly duplicate: boolean;
}

/** Called synchronously, in seq order, for every group of newly committed events. */
export type CommitListener = (commit: Commit) => void;

/**
 * @example
 * const [{ seq }] = await log.append([event]);
 * log.onCommit(({ events }) => fanOut(events));
 */
export interface EventLog {
  /**
   * Give each event a seq and make it durable. Resolves only once the events are on disk (or
   * acknowledged by the replicated log); a resend of a known id resolves with the original seq.
   */
  append(events: readonly ClientEvent[]): Promise<AppendOutcome[]>;
  /**
   * Events with seq > afterSeq in order, at most `limit` (from memory when they are recent). The
   * first may lie past afterSeq + 1 when older ones were archived; see `LogCursor`.
   */
  read(afterSeq: number, limit: number): Promise<SequencedEvent[]>;
  /** Highest committed seq (0 when empty). */
  readonly headSeq: number;
  /** First seq still held (head + 1 when the log is empty). */
  readonly horizonSeq: number;
  /**
   * The registry versions the log holds (registry events that took effect), kept with the log
   * and never archived: see registry-history.ts and docs/PROTOCOL.md §10. A registry event is in
   * it once its `append` resolved (the JetStream log answers registry events only after its own
   * consumer brought them back, whatever it does for other events).
   */
  readonly registry: RegistryHistory;
  /**
   * Events an operator took out of service (`sync-server quarantine`), kept with the log and never
   * archived; `read` marks them `quarantined` (see quarantine.ts). Optional: without it nothing is.
   */
  readonly quarantine?: { entries(): QuarantineEntry[]; get(seq: number): QuarantineEntry | undefined };
  /** Per-template committed event counts, kept with the log (never recomputed from history). */
  templateCounts(): Record<string, number>;
  /**
   * Record the seq the gateway's server replica has durably applied. Optional: backends that
   * support archiving use it as the purge limit (embedded: meta 'replica_seq'; JetStream: a KV
   * key per gateway, see `replica-position.ts`), because the server replica builds the snapshots
   * that replicas behind the archive horizon need.
   */
  recordReplicaSeq?(seq: number): void;
  /**
   * Per-client committed event counts, kept with the log like the template counts. Optional: a
   * backend without it leaves /stats with the gateway's since-start counts.
   */
  clientCounts?(): Record<string, number>;
  /**
   * The aggregate cache, maintained in the same transaction as the log (see `aggregate-store.ts`).
   * Optional: without it, /aggregates answers 404 and `aggregate` requests get NOT_FOUND.
   */
  readonly aggregates?: AggregateReader;
  /**
   * Resolves once every append this log has answered is reflected in what it reads back (head,
   * counts, aggregates). Optional: a backend that answers appends only after they are readable
   * (the embedded log) needs none. The JetStream log answers from JetStream's PubAck, possibly a
   * moment before its own consumer brought the event back; reads that must see the caller's
   * acknowledged writes wait here first (a few ms at most; on timeout they go on).
   */
  readYourWrites?(): Promise<void>;
  /** Subscribe to commits; returns an unsubscribe function. */
  onCommit(listener: CommitListener): () => void;
  close(): Promise<void>;
}
