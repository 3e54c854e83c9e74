import { describe, expect, test } from "bun:test";
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { createLogger, type LogRecord } from "@kuzu-sync/telemetry";
import { commitOf, markDuplicate } from "./commit.ts";
import { CommitFeed } from "./commit-feed.ts";
import type { Commit } from "./commit.ts";

const ev = (seq: number, id = `e${seq}`): SequencedEvent => ({ id, template: "T", params: {}, clientId: "c", timestamp: 0, seq, serverTimestamp: 0 });

describe("commits and duplicate slots", () => {
  test("a repeat of a lower seq's id is marked; the first occurrence and new ids are not", () => {
    expect(markDuplicate(ev(5, "a"), 2).duplicateOf).toBe(2);
    expect(markDuplicate(ev(5, "a"), 5)).toEqual(ev(5, "a"));
    expect(markDuplicate(ev(5, "a"), null)).toEqual(ev(5, "a"));
  });

  test("effective and own leave duplicate slots out; without duplicates effective is the same array", () => {
    const plain = [ev(1), ev(2)];
    expect(commitOf(plain).effective).toBe(plain);
    expect(commitOf(plain).own).toBe(plain);
    const group = [ev(3), markDuplicate(ev(4, "e1"), 1), ev(5), ev(6)];
    const c = commitOf(group, (e) => e.seq !== 5);
    expect(c.events).toBe(group);
    expect(c.effective.map((e) => e.seq)).toEqual([3, 5, 6]);
    expect(c.own.map((e) => e.seq)).toEqual([3, 6]);
  });

  test("the feed remembers each group and calls every listener even when one throws (logged)", () => {
    const records: LogRecord[] = [];
    const feed = new CommitFeed(createLogger({ serviceName: "test", level: "debug", sink: (r) => records.push(r) }), 10);
    const seen: Commit[] = [];
    feed.subscribe(() => {
      throw new Error("boom");
    });
    const unsubscribe = feed.subscribe((c) => seen.push(c));
    feed.deliver([ev(1), ev(2)]);
    feed.deliver([]);
    expect(seen.map((c) => c.events.map((e) => e.seq))).toEqual([[1, 2]]);
    expect(records.filter((r) => r.body === "commit listener threw")).toHaveLength(1);
    expect(feed.recent.after(0, 10)?.map((e) => e.seq)).toEqual([1, 2]);
    unsubscribe();
    feed.deliver([ev(3)]);
    expect(seen).toHaveLength(1);
  });
});
