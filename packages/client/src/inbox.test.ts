import { expect, test } from "bun:test";
import { Inbox } from "./inbox.ts";

test("an item pushed while the last drain is finishing still runs", async () => {
  const ran: string[] = [];
  const inbox = new Inbox(async () => {}, (e) => {
    throw e;
  });
  inbox.push(async () => {
    ran.push("first");
  });
  // After the drain loop has found the queue empty, before its promise settles.
  const pushedLate = Promise.resolve().then(() =>
    inbox.push(async () => {
      ran.push("late");
    }),
  );
  await pushedLate;
  await inbox.idle();
  await inbox.idle();
  expect(ran).toEqual(["first", "late"]);
});

test("items run in order, batches of events are joined", async () => {
  const batches: number[][] = [];
  const inbox = new Inbox(async (events) => void batches.push(events.map((e) => e.seq)), () => {});
  const ev = (seq: number) => ({ id: `e${seq}`, template: "T", params: {}, clientId: "c", timestamp: 0, seq, serverTimestamp: 0 });
  inbox.push([ev(1)]);
  inbox.push([ev(2)]);
  inbox.push([ev(3)]);
  await inbox.idle();
  expect(batches.flat()).toEqual([1, 2, 3]);
});
