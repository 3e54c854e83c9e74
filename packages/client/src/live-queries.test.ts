import { describe, expect, test } from "bun:test";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import type { EntityAccess } from "@kuzu-sync/replica";
import { LiveQueries, rowsKey, type LiveSource, type Rows } from "./live-queries.ts";

/** A source over a table of rows by key; each read answers from the current table. */
function source(reads: Record<string, EntityAccess[] | null>): LiveSource & { table: Map<string, Rows>; readCount: number; errors: SyncError[]; isBehind: boolean } {
  const s = {
    table: new Map<string, Rows>(),
    readCount: 0,
    errors: [] as SyncError[],
    isBehind: false,
    async read(cypher: string) {
      s.readCount++;
      if (cypher === "BAD") throw new SyncError(ErrorCode.BAD_MESSAGE, "refused");
      return s.table.get(cypher) ?? [];
    },
    readsOf: (cypher: string) => reads[cypher] ?? null,
    report: (error: SyncError) => void s.errors.push(error),
    behind: () => s.isBehind,
  };
  return s;
}

const write = (table: string, key: string | null): EntityAccess => ({ write: true, table, key });
const read = (table: string, key: string | null): EntityAccess => ({ write: false, table, key });

describe("LiveQueries", () => {
  test("first result, then only results whose rows changed, only after a change it reads", async () => {
    const src = source({ A: [read("USER", "u1")], B: [read("COUNTER", null)] });
    const live = new LiveQueries(src);
    const a: Rows[] = [];
    const b: Rows[] = [];
    live.add("A", {}, (rows) => a.push(rows));
    live.add("B", {}, (rows) => b.push(rows));
    live.start();
    await live.idle();
    expect([a, b]).toEqual([[[]], [[]]]);
    const before = src.readCount;

    live.invalidate([write("USER", "u2"), write("POST", null)]); // neither reads these
    await live.idle();
    expect(src.readCount).toBe(before);

    src.table.set("A", [{ n: 1 }]);
    live.invalidate([write("USER", "u1")]);
    live.invalidate([write("COUNTER", "c9")]); // B re-read, same rows: not delivered
    await live.idle();
    expect(src.readCount).toBe(before + 2);
    expect([a, b]).toEqual([[[], [{ n: 1 }]], [[]]]);

    live.invalidate(null); // anything: both read again, nothing new
    await live.idle();
    expect([a.length, b.length]).toEqual([2, 1]);
  });

  test("evaluations wait while events are queued behind, then run on resume()", async () => {
    const src = source({ A: [read("USER", null)] });
    const live = new LiveQueries(src);
    const a: Rows[] = [];
    live.add("A", {}, (rows) => a.push(rows));
    live.start();
    await live.idle();
    src.isBehind = true;
    src.table.set("A", [{ n: 1 }]);
    live.invalidate([write("USER", "u1")]);
    await live.idle();
    expect(a).toEqual([[]]);
    src.isBehind = false;
    live.resume();
    await live.idle();
    expect(a).toEqual([[], [{ n: 1 }]]);
  });

  test("a failing evaluation goes to onError (else to report); unsubscribe and close stop the listeners", async () => {
    const src = source({});
    const live = new LiveQueries(src);
    const errors: string[] = [];
    live.add("BAD", {}, () => {}, (e) => errors.push(e.code));
    live.add("BAD", {}, () => {});
    let closed = 0;
    const calls: Rows[] = [];
    const sub = live.add("A", {}, (rows) => calls.push(rows), undefined, () => closed++);
    live.start();
    await live.idle();
    expect(errors).toEqual([ErrorCode.BAD_MESSAGE]);
    expect(src.errors.map((e) => e.code)).toEqual([ErrorCode.BAD_MESSAGE]);
    sub.unsubscribe();
    src.table.set("A", [{ n: 2 }]);
    live.invalidate(null);
    await live.idle();
    expect(calls).toEqual([[]]);
    live.close();
    expect(closed).toBe(0); // unsubscribed before: not told again
    expect(live.size).toBe(0);
  });

  test("rowsKey ignores Kuzu's internal ids and tells bigints from numbers", () => {
    expect(rowsKey([{ n: { _id: { offset: 3, table: 0 }, _label: "User", id: "u1" } }])).toBe(rowsKey([{ n: { _id: { offset: 7, table: 0 }, _label: "User", id: "u1" } }]));
    expect(rowsKey([{ v: 1n }])).not.toBe(rowsKey([{ v: 1 }]));
  });
});
