/**
 * `#optimistic-store` under Bun: optimistic events in a SQLite file beside a persistent replica.
 * Written without waiting for the disk (synchronous=NORMAL in WAL): a record lost in a power cut
 * only loses the speculation, never the event (which the outbox keeps durably).
 * @module
 */
import { Database } from "bun:sqlite";
import type { ClientEvent } from "@kuzu-sync/protocol";
import type { OptimisticStore } from "./optimistic-store.ts";

/**
 * @example const store = durableOptimisticStore("./replica.kuzu.optimistic.sqlite");
 */
export function durableOptimisticStore(path: string): OptimisticStore {
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("CREATE TABLE IF NOT EXISTS optimistic (n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, seq INTEGER, body TEXT NOT NULL)");
  const insert = db.prepare("INSERT OR IGNORE INTO optimistic (id, body) VALUES (?, ?)");
  const ack = db.prepare("UPDATE optimistic SET seq = ? WHERE id = ?");
  const del = db.prepare("DELETE FROM optimistic WHERE id = ?");
  return {
    add: (event) => void insert.run(event.id, JSON.stringify(event)),
    acked: (id, seq) => void ack.run(seq, id),
    remove: (id) => void del.run(id),
    all: () =>
      db
        .query<{ body: string; seq: number | null }, []>("SELECT body, seq FROM optimistic ORDER BY n")
        .all()
        .map((r) => ({ event: JSON.parse(r.body) as ClientEvent, seq: r.seq })),
    close: () => db.close(),
  };
}
