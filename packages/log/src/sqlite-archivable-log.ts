/**
 * The embedded log (`DATA_DIR/events.sqlite`, written by sync-server) as an {@link ArchivableLog}.
 * The archiver is another process on the same file: WAL lets the gateway keep reading and
 * writing, `busy_timeout` makes the two writers wait for each other, and every purge is one short
 * transaction per segment. The table layout is `sqlite-event-log.ts`'s, beside it.
 * @module
 */
import { Database } from "bun:sqlite";
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { ErrorCode, SyncError, type SequencedEvent } from "@kuzu-sync/protocol";
import type { ArchivableLog, PurgeLimit } from "./archivable-log.ts";
import { isAlive } from "./process-alive.ts";
import { eventValues, INSERT_EVENT, LOG_TABLES, LogMeta, READ_EVENTS, SET_META, toEvent, type EventRow } from "./sqlite-log-schema.ts";

/**
 * @example
 * const log = SqliteArchivableLog.open("./data/events.sqlite");
 * const horizon = await log.horizon();
 * await log.close();
 */
export class SqliteArchivableLog implements ArchivableLog {
  readonly location: string;
  readonly #db: Database;
  readonly #meta: LogMeta;

  private constructor(path: string, db: Database) {
    this.location = path;
    this.#db = db;
    this.#meta = new LogMeta(db);
  }

  /** Open an existing log; never creates one (a typo in DATA_DIR must not look like an empty log). */
  static open(path: string): SqliteArchivableLog {
    if (!existsSync(path)) throw new SyncError(ErrorCode.NOT_FOUND, `no event log at ${path} (set DATA_DIR to the gateway's data directory)`);
    const db = new Database(path, { readwrite: true, create: false, strict: true });
    try {
      db.exec("PRAGMA busy_timeout = 10000");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((t) => t.name);
      for (const t of LOG_TABLES) {
        if (!tables.includes(t)) throw new SyncError(ErrorCode.NOT_FOUND, `${path} is not a kuzu-sync event log (no table ${t})`);
      }
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteArchivableLog(path, db);
  }

  async head(): Promise<number> {
    return this.#meta.head();
  }

  async horizon(): Promise<number> {
    return this.#meta.horizon();
  }

  async purgeLimit(): Promise<PurgeLimit> {
    const seq = this.#meta.get("replica_seq");
    if (seq !== null) return { seq, notes: [] };
    return { seq: 0, notes: [`no gateway has recorded its server replica's position in ${this.location}: nothing is archived until a gateway has opened it`] };
  }

  async readOlderThan(cutoffMs: number, afterSeq: number, limit: number): Promise<SequencedEvent[]> {
    const rows = this.#db.query<EventRow, [number, number]>(READ_EVENTS).all(afterSeq, limit);
    const out: SequencedEvent[] = [];
    for (const row of rows) {
      // Stop at the first young event even if a later one is older (a clock step back): the hot
      // log must stay one contiguous range.
      if (row.server_ts >= cutoffMs) break;
      out.push(toEvent(row));
    }
    return out;
  }

  async purgeThrough(seq: number): Promise<void> {
    this.#db.transaction(() => {
      this.#db.query("DELETE FROM events WHERE seq <= ?").run(seq);
      this.#db
        .query("INSERT INTO meta (key, value) VALUES ('horizon', ?) ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)")
        .run(seq + 1);
    })();
  }

  async restoreBelowHorizon(events: readonly SequencedEvent[]): Promise<void> {
    const first = events[0];
    const last = events[events.length - 1];
    if (!first || !last) return;
    this.#db.transaction(() => {
      const horizon = this.#meta.horizon();
      if (last.seq !== horizon - 1) {
        throw new SyncError(ErrorCode.INTERNAL, `restored events must end at seq ${horizon - 1} (just below the horizon), they end at ${last.seq}`);
      }
      const insert = this.#db.query(INSERT_EVENT);
      for (const e of events) insert.run(...eventValues(e));
      this.#db.query(SET_META).run("horizon", first.seq);
    })();
  }

  async lock(): Promise<AsyncDisposable> {
    const lockPath = `${this.location}.archiver.lock`;
    const take = (): number | null => {
      try {
        return openSync(lockPath, "wx");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") return null;
        throw error;
      }
    };
    let fd = take();
    if (fd === null) {
      const pid = Number.parseInt(readFileSync(lockPath, "utf8"), 10);
      if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new SyncError(ErrorCode.INTERNAL, `another sync-archiver (pid ${pid}) is working on ${this.location}; lock file ${lockPath}`);
      }
      // Left by a run that was killed: take it over. Two takers race on "wx"; one loses cleanly.
      unlinkSync(lockPath);
      fd = take();
      if (fd === null) throw new SyncError(ErrorCode.INTERNAL, `another sync-archiver took the lock ${lockPath} just now`);
    }
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return {
      [Symbol.asyncDispose]: async () => {
        try {
          if (readFileSync(lockPath, "utf8") === String(process.pid)) unlinkSync(lockPath);
        } catch {
          // Already gone.
        }
      },
    };
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
