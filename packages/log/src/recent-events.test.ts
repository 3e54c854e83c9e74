import { describe, expect, test } from "bun:test";
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { RecentEvents } from "./recent-events.ts";

const ev = (seq: number): SequencedEvent => ({ id: `e${seq}`, template: "T", params: {}, clientId: "c", timestamp: 0, seq, serverTimestamp: 0 });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ev(from + i));
const seqs = (events: readonly SequencedEvent[] | null) => events?.map((e) => e.seq) ?? null;

describe("recent events", () => {
  test("answers a read only when it holds the event right after the position", () => {
    const recent = new RecentEvents(100);
    expect(recent.after(0, 10)).toBeNull();
    recent.add(range(5, 9));
    expect(seqs(recent.after(4, 2))).toEqual([5, 6]);
    expect(seqs(recent.after(7, 10))).toEqual([8, 9]);
    expect(seqs(recent.after(9, 10))).toEqual([]);
    expect(recent.after(3, 10)).toBeNull(); // 4 is not held
    expect(recent.lastSeq).toBe(9);
  });

  test("a group that does not follow starts afresh; past 1.5× capacity the oldest go", () => {
    const recent = new RecentEvents(10);
    recent.add(range(1, 5));
    recent.add(range(8, 9));
    expect(recent.after(4, 10)).toBeNull();
    expect(seqs(recent.after(7, 10))).toEqual([8, 9]);
    recent.add(range(10, 23)); // 16 held > 15: trimmed to the last 10
    expect(recent.after(12, 1)).toBeNull();
    expect(seqs(recent.after(13, 100))).toEqual(range(14, 23).map((e) => e.seq));
  });

  test("capacity 0 holds nothing", () => {
    const recent = new RecentEvents(0);
    recent.add(range(1, 3));
    expect(recent.after(0, 10)).toBeNull();
  });
});
