/**
 * The embedded log's file (`DATA_DIR/events.sqlite`): its tables, how one event is stored as one
 * row and read back, and the `meta` keys. The gateway's {@link SqliteEventLog} writes it and
 * `sync-archiver`'s {@link SqliteArchivableLog} (another process, on the same file) reads, purges and
 * restores it; both go through this module, so the layout is written down once.
 * @module
 */
import type { Database, Statement } from "bun:sqlite";
import type { SequencedEvent } from "@kuzu-sync/protocol";

/** Tables every embedded log has (the counts and aggregates add theirs: see `commit-totals.ts`). */
export const LOG_TABLES = ["events", "event_ids", "meta"] as const;

/** Created at open when missing. */
export const LOG_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  template TEXT NOT NULL,
  params TEXT NOT NULL,
  client_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  server_ts INTEGER NOT NULL,
  traceparent TEXT
);
-- Kept when events are archived, so a resend is recognised forever.
CREATE TABLE IF NOT EXISTS event_ids (id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
-- template_counts, client_counts and the aggregate tables: see commit-totals.ts.
-- head: highest seq; horizon: first seq still held (written by sync-archiver with each purge);
-- replica_seq: what the server replica has durably applied (sync-archiver never purges past it).
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Keys of the `meta` table (integer values). */
export type MetaKey = "head" | "horizon" | "replica_seq";

/** One row of `events`. */
export interface EventRow {
  seq: number;
  id: string;
  template: string;
  params: string;
  client_id: string;
  ts: number;
  server_ts: number;
  traceparent: string | null;
}

/** Inserts one event; bind {@link eventValues}. */
export const INSERT_EVENT = "INSERT INTO events (seq, id, template, params, client_id, ts, server_ts, traceparent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

/** Events with seq > ?, in order, at most ?. */
export const READ_EVENTS = "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?";

/** Sets a `meta` key; bind the key and the value. */
export const SET_META = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value";

/**
 * The values {@link INSERT_EVENT} binds, in order.
 * @example db.prepare(INSERT_EVENT).run(...eventValues(event));
 */
export function eventValues(e: SequencedEvent): [number, string, string, string, string, number, number, string | null] {
  return [e.seq, e.id, e.template, JSON.stringify(e.params), e.clientId, e.timestamp, e.serverTimestamp, e.traceparent ?? null];
}

/**
 * A stored row as the event it holds.
 * @example const events = db.query<EventRow, [number, number]>(READ_EVENTS).all(0, 100).map(toEvent);
 */
export function toEvent(row: EventRow): SequencedEvent {
  return {
    id: row.id,
    template: row.template,
    params: JSON.parse(row.params) as Record<string, unknown>,
    clientId: row.client_id,
    timestamp: row.ts,
    seq: row.seq,
    serverTimestamp: row.server_ts,
    ...(row.traceparent === null ? {} : { traceparent: row.traceparent }),
  };
}

/** Reads of `meta` and of the first seq held, prepared once per connection. */
export class LogMeta {
  readonly #get: Statement<{ value: number }, [string]>;
  readonly #first: Statement<{ seq: number | null }, []>;

  constructor(db: Database) {
    this.#get = db.prepare("SELECT value FROM meta WHERE key = ?");
    this.#first = db.prepare("SELECT min(seq) AS seq FROM events");
  }

  get(key: MetaKey): number | null {
    return this.#get.get(key)?.value ?? null;
  }

  /** Highest committed seq (0 when empty). */
  head(): number {
    return this.get("head") ?? 0;
  }

  /**
   * First seq still held. sync-archiver records it under 'horizon' in the transaction that deletes
   * (so it stays right when the hot log is empty); before anything was archived it is simply the
   * first seq held, and head + 1 for a log that holds nothing.
   */
  horizon(head = this.head()): number {
    return this.get("horizon") ?? this.#first.get()?.seq ?? head + 1;
  }
}
