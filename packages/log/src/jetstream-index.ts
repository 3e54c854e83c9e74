/**
 * A gateway's local index of the JetStream log, in SQLite beside its server replica: event id →
 * first seq (dedupe beyond the stream's duplicate window), per-template and per-client counts, the
 * aggregates, and the seq this gateway has consumed up to — all written in one transaction per
 * group of consumed messages, so a crash loses the tail of the group and nothing else, and that
 * tail is consumed (and counted) again exactly once. It is filled only from the consumed stream, so
 * every gateway builds the same index from the same order.
 *
 * When the stream no longer holds the events right after the index's head (the archiver removed
 * them before this gateway read them), counts and aggregates cannot be exact: they restart at the
 * first seq the index sees, and {@link JetStreamIndex.countsFromSeq} (and each aggregate's
 * `fromSeq`) says so.
 * @module
 */
import { Database, type Statement } from "bun:sqlite";
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { SequencedEvent, WireAggregate } from "@kuzu-sync/protocol";
import { silentLogger, type Logger } from "@kuzu-sync/telemetry";
import type { AggregateReader } from "./aggregate-store.ts";
import { CommitTotals } from "./commit-totals.ts";
import { QuarantineList } from "./quarantine.ts";
import type { RegistryHistory } from "./registry-history.ts";

/** Options of {@link JetStreamIndex.open}. */
export interface JetStreamIndexOptions {
  /** Aggregates to maintain (the registry's `toWire().aggregates`); none when absent. */
  readonly aggregates?: readonly WireAggregate[];
  /** Reports aggregate definition changes and restarted counts. */
  readonly logger?: Logger;
}

const SET_META = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS event_ids (id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/**
 * @example
 * const index = JetStreamIndex.open("./data/jetstream-index.sqlite", { aggregates: registry.toWire().aggregates });
 * const firstSeqs = index.record([event1]); // [1]
 * index.firstSeq(event1.id); // 1
 */
export class JetStreamIndex {
  readonly #db: Database;
  readonly #totals: CommitTotals;
  readonly #logger: Logger;
  /** Quarantined events, copied from the KV bucket (quarantine-kv.ts); kept in a copy for a peer too. */
  readonly quarantine: QuarantineList;
  #head: number;
  #countsFrom: number;
  readonly #q: {
    find: Statement<{ seq: number }, [string]>;
    insert: Statement;
    setMeta: Statement;
  };

  private constructor(db: Database, options: JetStreamIndexOptions) {
    this.#db = db;
    db.exec("PRAGMA busy_timeout = 5000"); // wait for a lock rather than fail (a copy being made, a restart)
    db.exec("PRAGMA journal_mode = WAL");
    // The index is derived from the stream: a power cut may lose its last transactions, which
    // are then consumed again. Atomicity (ids, counts and head together) is what matters.
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec(SCHEMA);
    this.#q = {
      find: db.prepare("SELECT seq FROM event_ids WHERE id = ?"),
      insert: db.prepare("INSERT INTO event_ids (id, seq) VALUES (?, ?)"),
      setMeta: db.prepare(SET_META),
    };
    this.#head = Number(this.#meta("head") ?? 0);
    this.#countsFrom = Number(this.#meta("counts_from") ?? 1);
    this.#logger = options.logger ?? silentLogger;
    this.#totals = CommitTotals.attach(db, options.aggregates ?? [], { headSeq: this.#head, logger: this.#logger });
    this.quarantine = QuarantineList.attach(db);
  }

  static open(path: string, options: JetStreamIndexOptions = {}): JetStreamIndex {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    return new JetStreamIndex(new Database(path, { create: true, strict: true }), options);
  }

  /**
   * Head of the index file at `path`, read without opening it as an index: 0 when there is none,
   * or when the file is not an index (yet).
   * @example if (JetStreamIndex.headAt(indexPath) < horizon - 1) { ... bootstrap from a peer ... }
   */
  static headAt(path: string): number {
    if (!existsSync(path)) return 0;
    // Read-write so that closing checkpoints and removes the -wal and -shm files it would otherwise leave.
    const db = new Database(path, { readwrite: true, create: false });
    try {
      return Number(db.query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'head'").get()?.value ?? 0);
    } catch {
      return 0;
    } finally {
      db.close();
    }
  }

  /**
   * Check a copy made by {@link exportTo} (on another gateway, then downloaded): SQLite's
   * `quick_check` result ("ok" when sound) and the copy's head (NaN when it has none).
   */
  static inspectCopy(path: string): { readonly integrity: string | undefined; readonly head: number } {
    const db = new Database(path, { strict: true });
    try {
      const integrity = db.query<{ quick_check: string }, []>("PRAGMA quick_check").get()?.quick_check;
      const head = Number(db.query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'head'").get()?.value ?? Number.NaN);
      return { integrity, head };
    } finally {
      db.close();
    }
  }

  /** Make a copy made by {@link exportTo} the index of gateway `origin`. */
  static claimCopy(path: string, origin: string): void {
    const db = new Database(path, { strict: true });
    try {
      db.run(SET_META, ["origin", origin]);
    } finally {
      db.close();
    }
  }

  /** Highest seq recorded (0 when none). */
  get head(): number {
    return this.#head;
  }

  /** First seq that carried `id`, or null when the id has not been consumed yet. */
  firstSeq(id: string): number | null {
    return this.#q.find.get(id)?.seq ?? null;
  }

  /** Per-template counts of events that took effect (duplicate slots excluded). */
  /** The registry versions consumed (see registry-history.ts). */
  get registry(): RegistryHistory {
    return this.#totals.registry;
  }

  templateCounts(): Record<string, number> {
    return this.#totals.templateCounts();
  }

  /** Per-client counts of events that took effect (duplicate slots excluded). */
  clientCounts(): Record<string, number> {
    return this.#totals.clientCounts();
  }

  /** The aggregates, maintained from the consumed events. */
  get aggregates(): AggregateReader {
    return this.#totals.aggregates;
  }

  /**
   * First seq the counts and aggregates include: 1, or later when the stream had already lost the
   * events after this index's head (archived) when this gateway came to read them.
   */
  get countsFromSeq(): number {
    return this.#countsFrom;
  }

  /**
   * This gateway's id, as written in the origin header of the messages it appends: made at the
   * first open and kept in the index across restarts (a copy from a peer is given a new one).
   */
  origin(): string {
    let origin = this.#meta("origin");
    if (origin === null) {
      origin = crypto.randomUUID();
      this.#q.setMeta.run("origin", origin);
    }
    return origin;
  }

  #meta(key: string): string | null {
    return this.#db.query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?").get(key)?.value ?? null;
  }

  /**
   * Record consumed events, ascending, in one transaction with the new head, their counts and
   * their aggregates. Returns, for each event, the first seq of its id: its own seq, or a lower
   * one when the message repeats an id (a duplicate slot, which counts nothing).
   */
  record(events: readonly SequencedEvent[]): number[] {
    const first = events[0];
    const last = events[events.length - 1];
    if (!first || !last) return [];
    // Events between the head and this group are gone from the stream: what is derived from them
    // cannot be exact any more, so it restarts here rather than silently missing them.
    const restartFrom = first.seq > this.#head + 1 ? first.seq : null;
    const firsts: number[] = [];
    const fresh: SequencedEvent[] = [];
    const staged = this.#db.transaction(() => {
      for (const e of events) {
        const known = this.#q.find.get(e.id)?.seq;
        if (known === undefined) {
          this.#q.insert.run(e.id, e.seq);
          fresh.push(e);
          firsts.push(e.seq);
        } else {
          // Equal when a message is consumed again after a lost transaction: not a duplicate.
          firsts.push(Math.min(known, e.seq));
        }
      }
      if (restartFrom !== null) this.#q.setMeta.run("counts_from", String(restartFrom));
      const totals = this.#totals.stage(fresh, restartFrom);
      this.#q.setMeta.run("head", String(last.seq));
      return totals;
    })();
    if (restartFrom !== null) {
      this.#countsFrom = restartFrom;
      this.#logger.warn("the stream no longer holds the events after this gateway's head: counts and aggregates restart", {
        head: this.#head,
        countsFromSeq: restartFrom,
      });
    }
    this.#head = last.seq;
    this.#totals.publish(staged);
    return firsts;
  }

  /**
   * Write a consistent copy of the whole index to `path` (which must not exist) with SQLite's
   * `VACUUM INTO`: synchronous, so it falls between two recorded groups. The copy leaves out this
   * gateway's own identity (meta `origin`): it is what a new gateway starts from, not who it is.
   * Returns the copy's head.
   */
  exportTo(path: string): { readonly head: number } {
    this.#db.run("VACUUM INTO ?", [path]);
    const copy = new Database(path, { strict: true });
    try {
      copy.run("DELETE FROM meta WHERE key = 'origin'");
      return { head: Number(copy.query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'head'").get()?.value ?? 0) };
    } finally {
      copy.close();
    }
  }

  close(): void {
    this.#db.close();
  }
}
