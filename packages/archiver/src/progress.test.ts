import { describe, expect, test } from "bun:test";
import { Progress } from "./progress.ts";

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (t: string) => writes.push(t) };
}

describe("Progress", () => {
  test("draws one self-overwriting line on a terminal and clears it when done", () => {
    const s = stream(true);
    const p = new Progress(s);
    p.update("archived 10 events");
    p.update("archived 20 events"); // within 100 ms of the last redraw: skipped
    p.done();
    expect(s.writes).toEqual(["\r\x1b[2Karchived 10 events", "\r\x1b[2K"]);
  });

  test("is silent when the stream is not a terminal", () => {
    const s = stream(false);
    const p = new Progress(s);
    p.update("archived 10 events");
    p.done();
    expect(s.writes).toEqual([]);
  });
});
