import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REGISTRY_TEMPLATE, type SequencedEvent } from "@kuzu-sync/protocol";
import { QuarantineList } from "./quarantine.ts";
import { SqliteEventLog } from "./sqlite-event-log.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "quarantine-"));
  dirs.push(d);
  return d;
}

const event = (seq: number, template = "CREATE_USER"): SequencedEvent => ({ id: `e${seq}`, template, params: {}, clientId: "c", timestamp: 0, seq, serverTimestamp: 0 });

describe("QuarantineList", () => {
  test("marks quarantined events with the reason, never a registry event, and keeps the first entry of a seq", () => {
    const db = new Database(":memory:");
    const list = QuarantineList.attach(db);
    expect(list.add({ seq: 2, reason: "crashes Kuzu", eventId: "e2", at: 1 })).toBe(true);
    expect(list.add({ seq: 2, reason: "again", eventId: "e2", at: 2 })).toBe(false);
    expect(list.add({ seq: 3, reason: "", eventId: null, at: 3 })).toBe(true);
    const page = [event(1), event(2), event(3, REGISTRY_TEMPLATE), event(4)];
    const marked = list.mark(page);
    expect(marked.map((e) => e.quarantined)).toEqual([undefined, "crashes Kuzu", undefined, undefined]);
    expect(page[1]!.quarantined).toBeUndefined(); // the input is not changed
    const unmarked = [event(5), event(6)];
    expect(list.mark(unmarked)).toBe(unmarked); // nothing to mark: the same array
    expect(list.entries().map((e) => [e.seq, e.reason])).toEqual([[2, "crashes Kuzu"], [3, ""]]);
    expect(QuarantineList.read(db)).toEqual(list.entries());
    expect(QuarantineList.read(new Database(":memory:"))).toEqual([]);
  });

  test("an entry written by another connection (the command, while the gateway runs) is seen at the next read", async () => {
    const path = join(dir(), "events.sqlite");
    const log = SqliteEventLog.open({ path });
    try {
      const outcomes = await log.append([1, 2, 3].map((i) => ({ id: `id${i}`, template: "CREATE_USER", params: { i }, clientId: "c", timestamp: 0 })));
      expect(outcomes.map((o) => o.seq)).toEqual([1, 2, 3]);
      expect((await log.read(0, 10)).some((e) => e.quarantined !== undefined)).toBe(false);
      const other = new Database(path, { strict: true });
      QuarantineList.attach(other).add({ seq: 2, reason: "poison", eventId: "id2", at: Date.now() });
      other.close();
      // From the recent events in memory and from the file alike.
      expect((await log.read(0, 10)).map((e) => e.quarantined)).toEqual([undefined, "poison", undefined]);
      expect(log.quarantine.get(2)).toMatchObject({ seq: 2, reason: "poison", eventId: "id2" });
    } finally {
      await log.close();
    }
    const reopened = SqliteEventLog.open({ path, cacheSize: 1 });
    try {
      expect((await reopened.read(1, 1)).map((e) => [e.seq, e.quarantined])).toEqual([[2, "poison"]]);
    } finally {
      await reopened.close();
    }
  });
});
