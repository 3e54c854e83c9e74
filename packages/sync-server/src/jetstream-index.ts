/**
 * A gateway's local index of the JetStream log, in SQLite beside its server replica: event id →
 * first seq (dedupe beyond the stream's duplicate window), per-template counts, and the seq this
 * gateway has consumed up to. It is filled only from the consumed stream, so every gateway builds
 * the same index from the same order, and it can always be rebuilt by consuming the stream again.
 * @module
 */
import { Database, type Statement } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** One stream message as recorded: its seq, its event id, its template. */
export interface IndexedMessage {
  readonly seq: number;
  readonly id: string;
  readonly template: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS event_ids (id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS template_counts (template TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/**
 * @example
 * const index = JetStreamIndex.open("./data/jetstream-index.sqlite");
 * const firstSeqs = index.record([{ seq: 1, id: "e1", template: "CREATE_USER" }]); // [1]
 * index.firstSeq("e1"); // 1
 */
export class JetStreamIndex {
  readonly #db: Database;
  readonly #counts = new Map<string, number>();
  #head: number;
  readonly #q: {
    find: Statement<{ seq: number }, [string]>;
    insert: Statement;
    bump: Statement;
    setMeta: Statement;
  };

  private constructor(db: Database) {
    this.#db = db;
    db.exec("PRAGMA journal_mode = WAL");
    // The index is derived from the stream: a power cut may lose its last transactions, which
    // are then consumed again. Atomicity (ids, counts and head together) is what matters.
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec(SCHEMA);
    this.#q = {
      find: db.prepare("SELECT seq FROM event_ids WHERE id = ?"),
      insert: db.prepare("INSERT INTO event_ids (id, seq) VALUES (?, ?)"),
      bump: db.prepare(
        "INSERT INTO template_counts (template, count) VALUES (?, ?) ON CONFLICT(template) DO UPDATE SET count = count + excluded.count",
      ),
      setMeta: db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
    };
    this.#head = Number(this.meta("head") ?? 0);
    for (const row of db.query<{ template: string; count: number }, []>("SELECT template, count FROM template_counts").all()) {
      this.#counts.set(row.template, row.count);
    }
  }

  static open(path: string): JetStreamIndex {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    return new JetStreamIndex(new Database(path, { create: true, strict: true }));
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
  templateCounts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  meta(key: string): string | null {
    return this.#db.query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?").get(key)?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.#q.setMeta.run(key, value);
  }

  /**
   * Record consumed messages, ascending, in one transaction with the new head. Returns, for each
   * message, the first seq of its id: its own seq, or a lower one when the message repeats an id.
   */
  record(messages: readonly IndexedMessage[]): number[] {
    const last = messages[messages.length - 1];
    if (!last) return [];
    const firsts: number[] = [];
    const added = new Map<string, number>();
    this.#db.transaction(() => {
      for (const m of messages) {
        const known = this.#q.find.get(m.id)?.seq;
        if (known === undefined) {
          this.#q.insert.run(m.id, m.seq);
          added.set(m.template, (added.get(m.template) ?? 0) + 1);
          firsts.push(m.seq);
        } else {
          // Equal when a message is consumed again after a lost transaction: not a duplicate.
          firsts.push(Math.min(known, m.seq));
        }
      }
      for (const [template, n] of added) this.#q.bump.run(template, n);
      this.#q.setMeta.run("head", String(last.seq));
    })();
    this.#head = last.seq;
    for (const [template, n] of added) this.#counts.set(template, (this.#counts.get(template) ?? 0) + n);
    return firsts;
  }

  close(): void {
    this.#db.close();
  }
}
