import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, SyncError, type ClientEvent } from "@kuzu-sync/protocol";
import { memoryOutbox } from "./outbox.ts";
import { sqliteOutbox } from "./sqlite-outbox.ts";
import { PendingWrites } from "./pending-writes.ts";

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
      writes.outbox.close();
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
