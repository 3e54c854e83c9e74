import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, type ClientEvent } from "@kuzu-sync/protocol";
import { LogCursor, LogCursorError } from "./log-cursor.ts";
import { SqliteArchivableLog } from "./sqlite-archivable-log.ts";
import { SqliteEventLog } from "./sqlite-event-log.ts";

const dirs: string[] = [];
const logs: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function openLog(cacheSize?: number, path = ":memory:"): SqliteEventLog {
  const log = SqliteEventLog.open({ path, ...(cacheSize === undefined ? {} : { cacheSize }) });
  logs.push(log);
  return log;
}

let n = 0;
const events = (count: number): ClientEvent[] =>
  Array.from({ length: count }, () => ({ id: `e${++n}`, template: "CREATE_USER", params: { id: `u${n}`, name: "x" }, clientId: "c", timestamp: n }));

describe("LogCursor: from seq N, then live", () => {
  for (const cacheSize of [20_000, 0]) {
    test(`pages in order up to the head, then says it is caught up (${cacheSize === 0 ? "from storage" : "from memory"})`, async () => {
      const log = openLog(cacheSize);
      await log.append(events(25));
      const cursor = new LogCursor(log, 3);
      const pages: number[][] = [];
      while (!cursor.caughtUp) pages.push((await cursor.next(10)).map((e) => e.seq));
      expect(pages).toEqual([
        [4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
        [14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
        [24, 25],
      ]);
      expect(cursor.position).toBe(25);
      expect(await cursor.next(10)).toEqual([]);
      await log.append(events(2));
      expect(cursor.caughtUp as boolean).toBe(false);
      expect((await cursor.next(10)).map((e) => e.seq)).toEqual([26, 27]);
    });
  }

  test("memory and storage give the same events", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "cursor-")), "events.sqlite");
    dirs.push(join(path, ".."));
    const log = openLog(5, path);
    await log.append(events(12));
    const fromStorage = await log.read(0, 100); // 1..12: older than the 5-7 events held
    const fromMemory = await log.read(7, 100);
    expect(fromStorage.map((e) => e.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(fromMemory).toEqual(fromStorage.slice(7));
  });

  test("nextCommit resolves at the next commit, and at close", async () => {
    const log = openLog();
    const cursor = new LogCursor(log, 0);
    const woken = cursor.nextCommit();
    await log.append(events(1));
    await woken;
    expect(cursor.caughtUp).toBe(false);
    const pending = cursor.nextCommit();
    cursor.close();
    await pending;
    await cursor.nextCommit(); // closed: at once
  });

  test("events archived past the position: SNAPSHOT_REQUIRED naming the first seq held; seek moves on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cursor-"));
    dirs.push(dir);
    const path = join(dir, "events.sqlite");
    const log = openLog(0, path);
    await log.append(events(6));
    const archive = SqliteArchivableLog.open(path);
    logs.push(archive);
    await archive.purgeThrough(4);
    const cursor = new LogCursor(log, 2);
    const error = await cursor.next(10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogCursorError);
    expect(error).toMatchObject({ code: ErrorCode.SNAPSHOT_REQUIRED, firstHeld: 5, message: "events after seq 2 are no longer in the log (first held: 5)" });
    expect(cursor.position).toBe(2);
    cursor.seek(4);
    expect((await cursor.next(10)).map((e) => e.seq)).toEqual([5, 6]);
  });
});
