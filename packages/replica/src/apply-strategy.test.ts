import { describe, expect, test } from "bun:test";
import { ApplyStrategy } from "./apply-strategy.ts";

describe("ApplyStrategy", () => {
  test("short runs and templates without a batch form go one statement per event", () => {
    const s = new ApplyStrategy();
    expect(s.choose("T", 3, true)).toBe("single");
    expect(s.choose("T", 500, false)).toBe("single");
  });

  test("measures both, uses the cheaper, and keeps probing the other as costs change", () => {
    const s = new ApplyStrategy();
    const run = (batchMsPerEvent: number, singleMsPerEvent: number) => {
      const how = s.choose("T", 100, true);
      s.record("T", how, 100, 100 * (how === "batch" ? batchMsPerEvent : singleMsPerEvent));
      return how;
    };
    expect(run(0.05, 0.3)).toBe("batch");
    expect(run(0.05, 0.3)).toBe("single");
    const small = Array.from({ length: 30 }, () => run(0.05, 0.3));
    expect(small.filter((h) => h === "batch").length).toBeGreaterThan(25);
    // The table grew: UNWIND became slower than per-statement lookups.
    const large = Array.from({ length: 80 }, () => run(0.8, 0.3)).slice(40);
    expect(large.filter((h) => h === "single").length).toBeGreaterThan(35);
    expect(s.costs("T").single).toBeCloseTo(0.3, 5);
  });
});
