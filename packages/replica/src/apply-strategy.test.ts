import { describe, expect, test } from "bun:test";
import { ApplyStrategy, type RunPlan } from "./apply-strategy.ts";

/** Apply a group of `n` with the plan the strategy gives, at the given costs (ms). */
function runner(s: ApplyStrategy<string>, key: string, cost: { fixed: number; perRow: number; single: number }) {
  const plans: RunPlan[] = [];
  const run = (n: number) => {
    const plan = s.choose(key, n, true);
    plans.push(plan);
    const single = plan.how === "single" ? n : plan.probeSingle;
    if (single > 0) s.record(key, "single", single, single * cost.single);
    if (single < n) s.record(key, "batch", n - single, cost.fixed + (n - single) * cost.perRow);
    return plan.how;
  };
  return { run, plans };
}

describe("ApplyStrategy", () => {
  test("single events, short groups and templates without a batch form go one statement per event", () => {
    const s = new ApplyStrategy<string>();
    expect(s.choose("T", 1, true)).toEqual({ how: "single", probeSingle: 0 });
    expect(s.choose("T", 3, true)).toEqual({ how: "single", probeSingle: 0 });
    expect(s.choose("T", 500, false)).toEqual({ how: "single", probeSingle: 0 });
  });

  test("measures both, the per-statement cost on a short prefix only, and picks batches past the break-even length", () => {
    const s = new ApplyStrategy<string>();
    // A batch statement costs 20 ms plus 0.02 ms a row; one statement per event 0.4 ms each:
    // batches pay off past ~53 rows.
    const { run, plans } = runner(s, "T", { fixed: 20, perRow: 0.02, single: 0.4 });
    expect(run(100)).toBe("batch");
    expect(plans[0]).toEqual({ how: "batch", probeSingle: 16 });
    expect(s.costs("T").single).toBeCloseTo(0.4, 5);
    // Groups of two lengths let the fit separate the fixed cost from the per-row cost.
    for (let i = 0; i < 20; i++) run(i % 2 === 0 ? 2_000 : 200);
    const costs = s.costs("T");
    expect(costs.batchFixed!).toBeCloseTo(20, 0);
    expect(costs.batchPerRow!).toBeCloseTo(0.02, 3);
    const small = Array.from({ length: 30 }, () => run(20));
    const large = Array.from({ length: 30 }, () => run(400));
    expect(small.filter((h) => h === "single").length).toBeGreaterThan(25);
    expect(large.every((h) => h === "batch")).toBe(true);
    // A probe of the per-statement cost never takes more than a prefix of a group.
    expect(plans.every((p) => p.how === "single" || p.probeSingle <= 16)).toBe(true);
  });

  test("keeps measuring: when the tables grow and batches get dearer, it moves to single statements", () => {
    const s = new ApplyStrategy<string>();
    const cheap = runner(s, "T", { fixed: 2, perRow: 0.01, single: 0.4 });
    for (let i = 0; i < 20; i++) cheap.run(i % 2 === 0 ? 100 : 300);
    expect(cheap.run(100)).toBe("batch");
    const dear = runner(s, "T", { fixed: 400, perRow: 0.2, single: 0.4 });
    const hows = Array.from({ length: 120 }, () => dear.run(300)).slice(60);
    expect(hows.filter((h) => h === "single").length).toBeGreaterThan(50);
    // ...and batches are still tried now and then, in case the tables shrink again.
    expect(hows.filter((h) => h === "batch").length).toBeGreaterThan(0);
  });

  test("is keyed by the template object, not its name", () => {
    const s = new ApplyStrategy<object>();
    const a = { name: "T" };
    const b = { name: "T" };
    s.choose(a, 100, true);
    s.record(a, "single", 16, 16 * 0.5);
    expect(s.costs(a).single).toBe(0.5);
    expect(s.costs(b).single).toBeNull();
  });
});
