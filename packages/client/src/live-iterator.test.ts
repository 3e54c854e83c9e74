import { describe, expect, test } from "bun:test";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import { liveIterator } from "./live-iterator.ts";
import type { Rows } from "./live-queries.ts";

/** A subscription driven by hand. */
function driven() {
  const h = { rows: (_r: Rows) => {}, error: (_e: SyncError) => {}, close: () => {}, unsubscribed: 0 };
  const it = liveIterator((onRows, onError, onClose) => {
    Object.assign(h, { rows: onRows, error: onError, close: onClose });
    return { unsubscribe: () => void h.unsubscribed++ };
  });
  return { h, it };
}

describe("liveIterator", () => {
  test("yields each result; a slow consumer gets the latest; ends when the client closes", async () => {
    const { h, it } = driven();
    h.rows([{ n: 1 }]);
    expect((await it.next()).value).toEqual([{ n: 1 }]);
    h.rows([{ n: 2 }]);
    h.rows([{ n: 3 }]);
    expect((await it.next()).value).toEqual([{ n: 3 }]);
    const pending = it.next();
    h.rows([{ n: 4 }]);
    expect((await pending).value).toEqual([{ n: 4 }]);
    const ended = it.next();
    h.close();
    expect(await ended).toEqual({ value: undefined, done: true });
    expect(h.unsubscribed).toBe(1);
  });

  test("breaking out of for-await unsubscribes; an evaluation failure throws", async () => {
    const a = driven();
    a.h.rows([]);
    for await (const rows of a.it) {
      expect(rows).toEqual([]);
      break;
    }
    expect(a.h.unsubscribed).toBe(1);

    const b = driven();
    const next = b.it.next();
    b.h.error(new SyncError(ErrorCode.BAD_MESSAGE, "bad query"));
    await expect(next).rejects.toMatchObject({ code: ErrorCode.BAD_MESSAGE });
    expect(await b.it.next()).toEqual({ value: undefined, done: true });
  });
});
