/**
 * Embedded event log on bun:sqlite: WAL, synchronous=FULL, group commit (one transaction and one
 * fsync for every batch of events that arrive together), dedupe by event id forever.
 * @module
 */
import { Database, type Statement } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { ErrorCode, SyncError, type ClientEvent, type SequencedEvent, type WireAggregate } from "@kuzu-sync/protocol";
import { silentLogger, type Logger } from "@kuzu-sync/telemetry";
import type { AggregateStore } from "./aggregate-store.ts";
import { CommitFeed } from "./commit-feed.ts";
import { CommitTotals, type StagedTotals } from "./commit-totals.ts";
import { QuarantineList } from "./quarantine.ts";
import type { RegistryHistory } from "./registry-history.ts";
import type { AppendOutcome, CommitListener, EventLog } from "./event-log.ts";
import { eventValues, INSERT_EVENT, LOG_SCHEMA, LogMeta, READ_EVENTS, SET_META, toEvent, type EventRow } from "./sqlite-log-schema.ts";

interface Pending {
  readonly event: ClientEvent;
  readonly resolve: (o: AppendOutcome) => void;
  readonly reject: (e: unknown) => void;
}

export interface SqliteEventLogOptions {
  /** SQLite file; ":memory:" for tests that do not need durability. */
  readonly path: string;
  /** Injected clock for server timestamps (tests age events with it). */
  readonly now?: () => number;
  /** Aggregates to maintain with the log (the registry's `toWire().aggregates`); none when absent. */
  readonly aggregates?: readonly WireAggregate[];
  /** Reports aggregate definition changes found at open, and commit listeners that throw. */
  readonly logger?: Logger;
  /** Recent events kept in memory for catch-up and the server replica (default 20000). */
  readonly cacheSize?: number;
}

/**
 * @example
 * const log = SqliteEventLog.open({ path: "./data/events.sqlite" });
 * const [{ seq }] = await log.append([event]);
 */
export class SqliteEventLog implements EventLog {
  readonly #db: Database;
  readonly #now: () => number;
  readonly #feed: CommitFeed;
  /** Per-template and per-client counts and the aggregates, persisted with the events. */
  readonly #totals: CommitTotals;
  /** Events taken out of service (written by `sync-server quarantine`, maybe while this runs). */
  readonly quarantine: QuarantineList;
  #pending: Pending[] = [];
  #flushScheduled = false;
  #head: number;
  #closed = false;
  readonly #q: {
    findId: Statement;
    insertEvent: Statement;
    insertId: Statement;
    setMeta: Statement;
    read: Statement<EventRow, [number, number]>;
  };
  readonly #meta: LogMeta;
  #replicaSeq = -1;
  /**
   * Writes meta 'replica_seq' without an fsync of its own: losing the latest value in a crash only
   * makes the archiver more careful, and the next group commit's fsync makes it durable anyway
   * (WAL frames are synced in order). Keeps the server replica from adding an fsync per batch.
   */
  readonly #setReplicaSeq: Statement;
  readonly #metaDb: Database | null;

  private constructor(db: Database, now: () => number, path: string, aggregates: readonly WireAggregate[], logger: Logger, cacheSize: number | undefined) {
    this.#db = db;
    this.#now = now;
    // First: every later statement, the switch to WAL included, waits for a lock instead of
    // failing with "database is locked" (another process may be closing or checkpointing the file).
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec(LOG_SCHEMA);
    this.quarantine = QuarantineList.attach(db);
    this.#feed = new CommitFeed(logger, cacheSize, (events) => this.quarantine.mark(events));
    this.#q = {
      findId: db.prepare("SELECT seq FROM event_ids WHERE id = ?"),
      insertEvent: db.prepare(INSERT_EVENT),
      // Claims the id; 0 changes means it was already taken (a resend), found with findId.
      insertId: db.prepare("INSERT INTO event_ids (id, seq) VALUES (?, ?) ON CONFLICT(id) DO NOTHING"),
      setMeta: db.prepare(SET_META),
      read: db.prepare(READ_EVENTS),
    };
    this.#meta = new LogMeta(db);
    // Opened after the first connection set up WAL and the schema.
    const metaDb = path === ":memory:" ? null : new Database(path, { create: false, strict: true });
    if (metaDb) {
      metaDb.exec("PRAGMA busy_timeout = 5000");
      metaDb.exec("PRAGMA synchronous = OFF");
      // Checkpoints stay with the synchronous=FULL connection: an unsynced checkpoint followed by
      // a WAL restart could lose events in a power cut.
      metaDb.exec("PRAGMA wal_autocheckpoint = 0");
    }
    this.#metaDb = metaDb;
    this.#setReplicaSeq = (metaDb ?? db).prepare(SET_META);
    this.#head = this.#meta.head();
    this.#totals = CommitTotals.attach(db, aggregates, { headSeq: this.#head, logger });
  }

  /** The aggregate cache, persisted in this database with the events. */
  get aggregates(): AggregateStore {
    return this.#totals.aggregates;
  }

  static open(options: SqliteEventLogOptions): SqliteEventLog {
    if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
    return new SqliteEventLog(
      new Database(options.path, { create: true, strict: true }),
      options.now ?? Date.now,
      options.path,
      options.aggregates ?? [],
      options.logger ?? silentLogger,
      options.cacheSize,
    );
  }

  get headSeq(): number {
    return this.#head;
  }

  /** First seq still held. Read from the file each time: sync-archiver, another process, moves it. */
  get horizonSeq(): number {
    return this.#meta.horizon(this.#head);
  }

  /**
   * Record what the server replica has durably applied. sync-archiver never purges past this seq,
   * so the server replica (the source of every snapshot) can always keep following the log.
   */
  recordReplicaSeq(seq: number): void {
    if (this.#closed || seq === this.#replicaSeq) return;
    this.#setReplicaSeq.run("replica_seq", seq);
    this.#replicaSeq = seq;
  }

  /** The registry versions in this log (see registry-history.ts). */
  get registry(): RegistryHistory {
    return this.#totals.registry;
  }

  templateCounts(): Record<string, number> {
    return this.#totals.templateCounts();
  }

  clientCounts(): Record<string, number> {
    return this.#totals.clientCounts();
  }

  onCommit(listener: CommitListener): () => void {
    return this.#feed.subscribe(listener);
  }

  append(events: readonly ClientEvent[]): Promise<AppendOutcome[]> {
    if (this.#closed) return Promise.reject(new SyncError(ErrorCode.LOG_UNAVAILABLE, "event log is closed"));
    const promises = events.map(
      (event) => new Promise<AppendOutcome>((resolve, reject) => this.#pending.push({ event, resolve, reject })),
    );
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // Everything that arrives in this turn of the event loop shares one transaction and one fsync.
      setImmediate(() => this.#flush());
    }
    return Promise.all(promises);
  }

  async read(afterSeq: number, limit: number): Promise<SequencedEvent[]> {
    if (afterSeq >= this.#head || limit <= 0) return [];
    return this.quarantine.mark(this.#feed.recent.after(afterSeq, limit) ?? this.#q.read.all(afterSeq, limit).map(toEvent));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.#metaDb?.close();
    this.#db.close();
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    const serverTimestamp = this.#now();
    const committed: SequencedEvent[] = [];
    const outcomes: AppendOutcome[] = [];
    let head = this.#head;
    let totals: StagedTotals | null = null;
    try {
      this.#db.transaction(() => {
        for (const { event } of batch) {
          // One statement per new event for the dedupe: the id index answers a resend (also one
          // from earlier in this batch) by refusing the insert.
          if (this.#q.insertId.run(event.id, head + 1).changes === 0) {
            outcomes.push({ seq: (this.#q.findId.get(event.id) as { seq: number }).seq, duplicate: true });
            continue;
          }
          const seq = ++head;
          const e: SequencedEvent = { ...event, seq, serverTimestamp };
          this.#q.insertEvent.run(...eventValues(e));
          committed.push(e);
          outcomes.push({ seq, duplicate: false });
        }
        if (committed.length > 0) {
          // Same transaction as the events: after a crash both are there, or neither.
          totals = this.#totals.stage(committed);
          this.#q.setMeta.run("head", head);
        }
      })();
    } catch (cause) {
      const error = new SyncError(ErrorCode.LOG_UNAVAILABLE, `event log write failed: ${String(cause)}`, { cause });
      for (const p of batch) p.reject(error);
      return;
    }
    this.#head = head;
    if (totals !== null) this.#totals.publish(totals);
    // Listeners run in the same synchronous block that moved the head: catch-up relies on it.
    this.#feed.deliver(committed);
    batch.forEach((p, i) => p.resolve(outcomes[i]!));
  }
}
