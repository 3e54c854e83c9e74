import { describe, expect, test } from "bun:test";
import { AppliedReports } from "./applied-reports.ts";

describe("AppliedReports", () => {
  test("one report per interval, only when the seq moved, again after a reconnect; nothing after stop", async () => {
    const sent: number[] = [];
    let seq = 0;
    let connected = true;
    const reports = new AppliedReports((s) => connected && sent.push(s) > 0, () => seq, 5);
    const tick = () => new Promise((r) => setTimeout(r, 20));
    seq = 3;
    reports.applied();
    reports.applied();
    seq = 4;
    await tick();
    expect(sent).toEqual([4]);
    reports.applied(); // no new seq: nothing to say
    await tick();
    expect(sent).toEqual([4]);
    reports.reconnected();
    reports.applied();
    await tick();
    expect(sent).toEqual([4, 4]);
    connected = false;
    seq = 9;
    reports.applied();
    await tick();
    connected = true;
    reports.applied(); // the unsent position goes out next time
    await tick();
    expect(sent).toEqual([4, 4, 9]);
    seq = 10;
    reports.applied();
    reports.stop();
    await tick();
    expect(sent).toEqual([4, 4, 9]);
  });
});
