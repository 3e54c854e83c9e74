import { describe, expect, test } from "bun:test";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import { SeqWaiters } from "./seq-waiters.ts";

describe("SeqWaiters", () => {
  test("settles each waiter once its seq is applied, times out the rest, rejects on close", async () => {
    let applied = 3;
    const waiters = new SeqWaiters(() => applied);
    await waiters.wait(2, 1_000); // already applied
    const five = waiters.wait(5, 1_000);
    const nine = waiters.wait(9, 1_000);
    const late = waiters.wait(7, 20);
    applied = 6;
    waiters.applied();
    await five;
    await expect(late).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
    const closed = new SyncError(ErrorCode.CLOSED, "closed");
    waiters.failAll(closed);
    await expect(nine).rejects.toBe(closed);
  });
});
