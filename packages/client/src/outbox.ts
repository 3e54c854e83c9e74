/**
 * Events sent but not yet acknowledged. Kept in SQLite next to a persistent replica, so an event
 * handed to the client survives a crash and is resent (dedupe by id makes that exactly-once).
 * Writes come in groups (`addAll`, `removeAll`: one transaction, one fsync each), so a writer
 * with many events in flight pays one fsync per turn, not one per event (see pending-writes.ts).
 * @module
 */
import { Database } from "bun:sqlite";
import type { ClientEvent } from "@kuzu-sync/protocol";

export interface Outbox {
  /** Durably add one event (an event already there is kept as it is). */
  add(event: ClientEvent): void;
  /** Durably add several events in one transaction: all of them are there afterwards, or none (it throws). */
  addAll(events: readonly ClientEvent[]): void;
  remove(id: string): void;
  /** Remove several events in one transaction. */
  removeAll(ids: readonly string[]): void;
  has(id: string): boolean;
  /** One pending event by id. */
  get(id: string): ClientEvent | undefined;
  /** Pending events, oldest first. */
  pending(): ClientEvent[];
  readonly size: number;
  /** A value kept with the outbox across restarts (the persistent client id). */
  meta(key: string): string | null;
  setMeta(key: string, value: string): void;
  close(): void;
}

/** Outbox in memory (for in-memory replicas). */
export function memoryOutbox(): Outbox {
  const events = new Map<string, ClientEvent>();
  const meta = new Map<string, string>();
  return {
    add: (e) => void (events.has(e.id) || events.set(e.id, e)),
    addAll(list) {
      for (const e of list) if (!events.has(e.id)) events.set(e.id, e);
    },
    remove: (id) => void events.delete(id),
    removeAll(ids) {
      for (const id of ids) events.delete(id);
    },
    has: (id) => events.has(id),
    get: (id) => events.get(id),
    pending: () => [...events.values()],
    get size() {
      return events.size;
    },
    meta: (k) => meta.get(k) ?? null,
    setMeta: (k, v) => void meta.set(k, v),
    close: () => events.clear(),
  };
}

/**
 * Outbox in a SQLite file (WAL, synchronous=FULL): an event is on disk before it is sent.
 * @example const outbox = sqliteOutbox("./replica.kuzu.outbox.sqlite");
 */
export function sqliteOutbox(path: string): Outbox {
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("CREATE TABLE IF NOT EXISTS outbox (n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, body TEXT NOT NULL)");
  db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  const ids = new Set(db.query<{ id: string }, []>("SELECT id FROM outbox").all().map((r) => r.id));
  const insert = db.prepare("INSERT OR IGNORE INTO outbox (id, body) VALUES (?, ?)");
  const del = db.prepare("DELETE FROM outbox WHERE id = ?");
  const insertAll = db.transaction((list: readonly ClientEvent[]) => {
    for (const e of list) insert.run(e.id, JSON.stringify(e));
  });
  const removeAll = db.transaction((list: readonly string[]) => {
    for (const id of list) del.run(id);
  });
  return {
    add(e) {
      insert.run(e.id, JSON.stringify(e));
      ids.add(e.id);
    },
    addAll(list) {
      if (list.length === 0) return;
      insertAll(list);
      for (const e of list) ids.add(e.id);
    },
    remove(id) {
      if (ids.delete(id)) del.run(id);
    },
    removeAll(list) {
      const known = list.filter((id) => ids.has(id));
      if (known.length === 0) return;
      removeAll(known);
      for (const id of known) ids.delete(id);
    },
    has: (id) => ids.has(id),
    get(id) {
      if (!ids.has(id)) return undefined;
      const row = db.query<{ body: string }, [string]>("SELECT body FROM outbox WHERE id = ?").get(id);
      return row ? (JSON.parse(row.body) as ClientEvent) : undefined;
    },
    pending: () => db.query<{ body: string }, []>("SELECT body FROM outbox ORDER BY n").all().map((r) => JSON.parse(r.body) as ClientEvent),
    get size() {
      return ids.size;
    },
    meta: (key) => db.query<{ value: string }, [string]>("SELECT value FROM meta WHERE key = ?").get(key)?.value ?? null,
    setMeta: (key, value) => void db.query("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value),
    close: () => db.close(),
  };
}

/** What a client opens at creation: its outbox and its id. */
export interface ClientOutbox {
  readonly outbox: Outbox;
  readonly clientId: string;
  /** Why the persistent outbox could not be opened (then `outbox` is an empty in-memory one). */
  readonly error: unknown;
}

/**
 * The outbox of a client (`<dbPath>.outbox.sqlite`, in memory without `dbPath`) and its id: the
 * given one, else the one stored with a persistent outbox, else a new random one (then stored).
 * @example const { outbox, clientId } = openClientOutbox("./replica.kuzu", undefined);
 */
export function openClientOutbox(dbPath: string | undefined, clientId: string | undefined): ClientOutbox {
  const fresh = clientId ?? `client-${crypto.randomUUID()}`;
  if (!dbPath) return { outbox: memoryOutbox(), clientId: fresh, error: null };
  let outbox: Outbox;
  try {
    outbox = sqliteOutbox(`${dbPath}.outbox.sqlite`);
  } catch (error) {
    return { outbox: memoryOutbox(), clientId: fresh, error };
  }
  if (clientId !== undefined) return { outbox, clientId, error: null };
  // A persistent replica keeps its identity, so its stats and its events stay attributable.
  const stored = outbox.meta("clientId");
  if (stored === null || stored === "") outbox.setMeta("clientId", fresh);
  return { outbox, clientId: stored || fresh, error: null };
}
