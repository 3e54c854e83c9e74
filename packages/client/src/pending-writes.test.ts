import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, SyncError, type ClientEvent } from "@kuzu-sync/protocol";
import { Database } from "bun:sqlite";
import { memoryOutbox, type Outbox } from "./outbox.ts";
import { sqliteOutbox } from "./sqlite-outbox.ts";
import { PendingWrites } from "./pending-writes.ts";

/** Rows in the outbox file, read through a connection of its own (what a crash would leave). */
function rowsOnDisk(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.query<{ id: string }, []>("SELECT id FROM outbox ORDER BY n").all().map((r) => r.id);
  } finally {
    db.close();
  }
}

/** The end of the current turn (what PendingWrites commits at). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const event = (id: string): ClientEvent => ({ id, template: "INCREMENT_COUNTER", params: { counterId: "c", amount: 1 }, clientId: "t", timestamp: 0 });

describe("PendingWrites", () => {
  test("an acknowledged event leaves the outbox and settles its promise; flush waits for the last one", async () => {
    const writes = new PendingWrites(memoryOutbox());
    await writes.flush();
    const a = writes.track(event("a"));
    const b = writes.track(event("b"));
    expect(writes.size).toBe(2);
    expect(writes.inFlight("a")).toBe(true);
    let flushed = false;
    const flush = writes.flush().then(() => (flushed = true));
    writes.acked("a", { seq: 1, duplicate: false });
    expect(await a).toEqual({ seq: 1, duplicate: false });
    expect(flushed).toBe(false);
    const refusal = new SyncError(ErrorCode.INVALID_PARAMS, "no");
    expect(writes.refused("b", refusal)).toEqual({ event: event("b"), delivered: true });
    await expect(b).rejects.toBe(refusal);
    await flush;
    expect(writes.size).toBe(0);
    expect(writes.inFlight("a")).toBe(false);
  });

  test("retryable refusals are counted per event; closing rejects what waits and keeps a durable outbox", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pending-writes-"));
    try {
      const path = join(dir, "outbox.sqlite");
      const writes = new PendingWrites(sqliteOutbox(path));
      const a = writes.track(event("a"));
      expect([writes.refusedForNow("a"), writes.refusedForNow("a"), writes.refusedForNow("a")]).toEqual([0, 1, 2]);
      const flush = writes.flush();
      const closed = new SyncError(ErrorCode.CLOSED, "closed");
      writes.failAll(closed);
      await expect(a).rejects.toBe(closed);
      await expect(flush).rejects.toBe(closed);
      writes.close();
      // The next run finds it in the outbox, with no promise of its own: a refusal is not delivered.
      const next = new PendingWrites(sqliteOutbox(path));
      expect(next.outbox.pending().map((e) => e.id)).toEqual(["a"]);
      expect(next.refused("a", closed)).toEqual({ event: event("a"), delivered: false });
      expect(next.size).toBe(0);
      next.outbox.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("PendingWrites: group commit", () => {
  test("events handed over in one turn are written in one transaction, and sent only once they are on disk", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pending-writes-"));
    try {
      const path = join(dir, "outbox.sqlite");
      const outbox = sqliteOutbox(path);
      let transactions = 0;
      const counting: Outbox = { ...outbox, addAll: (events) => (transactions++, outbox.addAll(events)), get size() { return outbox.size; } };
      const sent: { ids: string[]; onDisk: string[] }[] = [];
      const writes = new PendingWrites(counting, (events) => sent.push({ ids: events.map((e) => e.id), onDisk: rowsOnDisk(path) }));
      const ids = Array.from({ length: 100 }, (_, i) => `e${i}`);
      const promises = ids.map((id) => writes.track(event(id)));
      // Counted at once, on disk and sent only at the end of the turn.
      expect(writes.size).toBe(100);
      expect(rowsOnDisk(path)).toEqual([]);
      expect(sent).toEqual([]);
      await nextTurn();
      expect(transactions).toBe(1);
      expect(sent).toEqual([{ ids, onDisk: ids }]);
      // A second turn is a second transaction.
      const more = writes.track(event("late"));
      await nextTurn();
      expect(transactions).toBe(2);
      expect(sent[1]!.ids).toEqual(["late"]);
      // Answers settle at once; the rows leave the file together at the next commit.
      for (const id of ids) writes.acked(id, { seq: 1, duplicate: false });
      expect(writes.size).toBe(1);
      expect(writes.has("e0")).toBe(false);
      expect(writes.durable().map((e) => e.id)).toEqual(["late"]);
      expect(rowsOnDisk(path).length).toBe(101);
      await Promise.all(promises);
      await nextTurn();
      expect(rowsOnDisk(path)).toEqual(["late"]);
      writes.failAll(new SyncError(ErrorCode.CLOSED, "closed"));
      await expect(more).rejects.toMatchObject({ code: ErrorCode.CLOSED });
      writes.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("closing writes what the turn staged; the next run resends it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pending-writes-"));
    try {
      const path = join(dir, "outbox.sqlite");
      const writes = new PendingWrites(sqliteOutbox(path));
      const a = writes.track(event("a"));
      const b = writes.track(event("b"));
      writes.failAll(new SyncError(ErrorCode.CLOSED, "closed"));
      await Promise.allSettled([a, b]);
      writes.close();
      expect(rowsOnDisk(path)).toEqual(["a", "b"]);
      const next = new PendingWrites(sqliteOutbox(path));
      expect(next.size).toBe(2);
      expect(next.durable().map((e) => e.id)).toEqual(["a", "b"]);
      next.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an outbox that cannot be written refuses the turn's events (INTERNAL) and sends none of them", async () => {
    const broken: Outbox = { ...memoryOutbox(), addAll: () => { throw new Error("disk full"); } };
    const sent: string[] = [];
    const writes = new PendingWrites(broken, (events) => sent.push(...events.map((e) => e.id)));
    const a = writes.track(event("a"));
    await nextTurn();
    await expect(a).rejects.toMatchObject({ code: ErrorCode.INTERNAL, message: expect.stringContaining("disk full") });
    expect(sent).toEqual([]);
    expect(writes.size).toBe(0);
  });

  test("an event already in the outbox from an earlier run is sent at once when handed over again", async () => {
    const outbox = memoryOutbox();
    outbox.add(event("old"));
    const sent: string[] = [];
    const writes = new PendingWrites(outbox, (events) => sent.push(...events.map((e) => e.id)));
    const again = writes.track(event("old"));
    expect(sent).toEqual(["old"]);
    expect(writes.size).toBe(1);
    writes.acked("old", { seq: 3, duplicate: true });
    expect(await again).toEqual({ seq: 3, duplicate: true });
  });
});

describe("PendingWrites: groups", () => {
  test("a turn handing over more than a group writes and sends each full group at once, the rest at the end of the turn", async () => {
    const sent: number[] = [];
    let transactions = 0;
    const outbox = memoryOutbox();
    const counting: Outbox = { ...outbox, addAll: (events) => (transactions++, outbox.addAll(events)), has: (id) => outbox.has(id), get size() { return outbox.size; } };
    const writes = new PendingWrites(counting, (events) => sent.push(events.length), 10);
    for (let i = 0; i < 25; i++) void writes.track(event(`g${i}`)).catch(() => {});
    expect(sent).toEqual([10, 10]);
    await nextTurn();
    expect(sent).toEqual([10, 10, 5]);
    expect(transactions).toBe(3);
    writes.failAll(new SyncError(ErrorCode.CLOSED, "closed"));
  });
});
