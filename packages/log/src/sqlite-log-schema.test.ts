import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { eventValues, INSERT_EVENT, LOG_SCHEMA, LogMeta, READ_EVENTS, SET_META, toEvent, type EventRow } from "./sqlite-log-schema.ts";

const event = (seq: number, extra: Partial<SequencedEvent> = {}): SequencedEvent => ({
  id: `e${seq}`,
  template: "CREATE_USER",
  params: { id: `u${seq}`, name: "Ann", tags: ["a"], age: 3 },
  clientId: "c",
  timestamp: 1_000 + seq,
  seq,
  serverTimestamp: 2_000 + seq,
  ...extra,
});

function open(): Database {
  const db = new Database(":memory:", { strict: true });
  db.exec(LOG_SCHEMA);
  return db;
}

describe("the embedded log's row codec", () => {
  test("an event stored and read back is the same event, with and without traceparent", () => {
    using db = open();
    const events = [event(1), event(2, { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" })];
    for (const e of events) db.prepare(INSERT_EVENT).run(...eventValues(e));
    expect(db.query<EventRow, [number, number]>(READ_EVENTS).all(0, 10).map(toEvent)).toEqual(events);
    expect(db.query<EventRow, [number, number]>(READ_EVENTS).all(1, 10).map(toEvent)).toEqual([events[1]!]);
  });

  test("horizon: the recorded one, else the first seq held, else head + 1", () => {
    using db = open();
    const meta = new LogMeta(db);
    expect([meta.head(), meta.horizon()]).toEqual([0, 1]);
    db.prepare(SET_META).run("head", 7);
    expect(meta.horizon()).toBe(8);
    db.prepare(INSERT_EVENT).run(...eventValues(event(5)));
    expect(meta.horizon()).toBe(5);
    db.prepare(SET_META).run("horizon", 3);
    expect([meta.head(), meta.horizon(), meta.get("replica_seq")]).toEqual([7, 3, null]);
  });
});
