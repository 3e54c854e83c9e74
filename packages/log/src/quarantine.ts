/**
 * Events an operator took out of service (`sync-server quarantine --seq N`), kept beside the log
 * like its registry versions (`registry-history.ts`): one row per seq in the log's own SQLite file
 * (the embedded log's `events.sqlite`, a JetStream gateway's index, filled from the KV bucket:
 * `quarantine-kv.ts`), never archived. A gateway marks such an event `quarantined: <reason>` whenever
 * it serves it (catch-up pages, the server replica's reads), the way duplicate slots carry
 * `duplicateOf`, so every replica that has not applied it skips it identically; a replica that
 * already applied it is unaffected. Registry events are never marked.
 *
 * The embedded log's file is written by another process (the command runs while the gateway is
 * stopped or running): the list reloads when SQLite's `data_version` says another connection
 * committed.
 * @module
 */
import type { Database, Statement } from "bun:sqlite";
import { REGISTRY_TEMPLATE, type SequencedEvent } from "@kuzu-sync/protocol";

/** One quarantined event. */
export interface QuarantineEntry {
  readonly seq: number;
  /** The operator's reason ("" when none was given). */
  readonly reason: string;
  /** The event's id, when it was known when quarantined. */
  readonly eventId: string | null;
  /** When it was quarantined (ms since epoch). */
  readonly at: number;
}

const SCHEMA = "CREATE TABLE IF NOT EXISTS quarantined (seq INTEGER PRIMARY KEY, reason TEXT NOT NULL, event_id TEXT, at INTEGER NOT NULL)";

interface Row {
  seq: number;
  reason: string;
  event_id: string | null;
  at: number;
}

/**
 * @example
 * const quarantine = QuarantineList.attach(db);
 * const page = quarantine.mark(events); // quarantined ones carry `quarantined`
 */
export class QuarantineList {
  readonly #db: Database;
  readonly #version: Statement<{ data_version: number }, []>;
  readonly #insert: Statement;
  #dataVersion = -1;
  #bySeq = new Map<number, QuarantineEntry>();

  private constructor(db: Database) {
    this.#db = db;
    db.exec(SCHEMA);
    this.#version = db.prepare("PRAGMA data_version");
    this.#insert = db.prepare("INSERT INTO quarantined (seq, reason, event_id, at) VALUES (?, ?, ?, ?) ON CONFLICT(seq) DO NOTHING");
    this.#reload();
  }

  /** Create the table if needed and load it. */
  static attach(db: Database): QuarantineList {
    return new QuarantineList(db);
  }

  /**
   * The entries of a log or index file opened read-only (none when it has no such table).
   * @example const entries = QuarantineList.read(new Database(path, { readonly: true }));
   */
  static read(db: Database): QuarantineEntry[] {
    const table = db.query<{ n: number }, []>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'quarantined'").get();
    if ((table?.n ?? 0) === 0) return [];
    return db.query<Row, []>("SELECT * FROM quarantined ORDER BY seq").all().map(toEntry);
  }

  /** Every entry, ascending by seq (as of the last reload). */
  entries(): QuarantineEntry[] {
    this.#fresh();
    return [...this.#bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The entry for `seq`, if it is quarantined. */
  get(seq: number): QuarantineEntry | undefined {
    this.#fresh();
    return this.#bySeq.get(seq);
  }

  /**
   * Record an entry (idempotent: a seq already quarantined keeps its first entry). Returns
   * whether it was new.
   */
  add(entry: QuarantineEntry): boolean {
    const added = this.#insert.run(entry.seq, entry.reason, entry.eventId, entry.at).changes > 0;
    this.#reload();
    return added;
  }

  /**
   * `events` with the quarantined ones marked (registry events never are); the same array when
   * none is. Events already marked keep their mark.
   */
  mark(events: readonly SequencedEvent[]): SequencedEvent[] {
    this.#fresh();
    const list = events as SequencedEvent[];
    if (this.#bySeq.size === 0) return list;
    let out: SequencedEvent[] | null = null;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const q = this.#bySeq.get(e.seq);
      if (q === undefined || e.template === REGISTRY_TEMPLATE || e.quarantined !== undefined) continue;
      out ??= [...events];
      out[i] = { ...e, quarantined: q.reason };
    }
    return out ?? list;
  }

  /** Reload when another connection (the quarantine command, another process) committed. */
  #fresh(): void {
    const version = this.#version.get()?.data_version ?? 0;
    if (version !== this.#dataVersion) this.#reload(version);
  }

  #reload(version = this.#version.get()?.data_version ?? 0): void {
    this.#dataVersion = version;
    this.#bySeq = new Map(this.#db.query<Row, []>("SELECT * FROM quarantined").all().map((r) => [r.seq, toEntry(r)]));
  }
}

function toEntry(r: Row): QuarantineEntry {
  return { seq: r.seq, reason: r.reason, eventId: r.event_id, at: r.at };
}
