/**
 * The durable outbox under Bun: a SQLite file next to a persistent replica (`#durable-outbox`
 * resolves here outside a browser; durable-outbox-browser.ts is the browser's answer).
 * @module
 */
import { Database } from "bun:sqlite";
import type { ClientEvent } from "@kuzu-sync/protocol";
import type { Outbox } from "./outbox.ts";

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

/** The durable outbox of this build, for `#durable-outbox` (outbox.ts). */
export const durableOutbox = sqliteOutbox;
