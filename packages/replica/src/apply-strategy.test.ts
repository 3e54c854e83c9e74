import { describe, expect, test } from "bun:test";
import { ApplyStrategy, type RunPlan } from "./apply-strategy.ts";

describe("ApplyStrategy", () => {
  test("short runs and templates without a batch form go one statement per event", () => {
    const s = new ApplyStrategy();
    expect(s.choose("T", 3, true)).toEqual({ how: "single", probeSingle: 0 });
    expect(s.choose("T", 500, false)).toEqual({ how: "single", probeSingle: 0 });
  });

  test("measures both, the per-statement cost on a short prefix only, uses the cheaper, and keeps probing", () => {
    const s = new ApplyStrategy();
    const plans: RunPlan[] = [];
    const run = (batchMsPerEvent: number, singleMsPerEvent: number) => {
      const plan = s.choose("T", 100, true);
      plans.push(plan);
      const single = plan.how === "single" ? 100 : plan.probeSingle;
      if (single > 0) s.record("T", "single", single, single * singleMsPerEvent);
      if (single < 100) s.record("T", "batch", 100 - single, (100 - single) * batchMsPerEvent);
      return plan.how;
    };
    // The first run measures both: 16 events one by one, the other 84 as one batch.
    expect(run(0.05, 0.3)).toBe("batch");
    expect(plans[0]).toEqual({ how: "batch", probeSingle: 16 });
    expect(s.costs("T")).toEqual({ batch: 0.05, single: 0.3 });
    const small = Array.from({ length: 30 }, () => run(0.05, 0.3));
    expect(small.every((h) => h === "batch")).toBe(true);
    // A probe of the per-statement cost never takes more than a prefix of a run.
    expect(plans.every((p) => p.how === "single" || p.probeSingle <= 16)).toBe(true);
    // The table grew: UNWIND became slower than per-statement lookups.
    const large = Array.from({ length: 80 }, () => run(0.8, 0.3)).slice(40);
    expect(large.filter((h) => h === "single").length).toBeGreaterThan(35);
    // ...and batches are still tried now and then, in case the table shrinks again.
    expect(large.filter((h) => h === "batch").length).toBeGreaterThan(0);
    expect(s.costs("T").single).toBeCloseTo(0.3, 5);
  });
});
