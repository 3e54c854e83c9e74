import { describe, expect, test } from "bun:test";
import { backoffDelay } from "./backoff.ts";

describe("backoffDelay", () => {
  test("grows exponentially up to the cap, with full jitter", () => {
    const top = (attempt: number) => backoffDelay(attempt, { initialDelayMs: 100, maxDelayMs: 5_000 }, () => 0.999_999);
    expect([0, 1, 2, 3, 4, 5, 6, 10, 50].map(top)).toEqual([99, 199, 399, 799, 1599, 3199, 4999, 4999, 4999]);
    expect(backoffDelay(3, { initialDelayMs: 100 }, () => 0)).toBe(50); // never a zero-delay spin
    const samples = Array.from({ length: 200 }, () => backoffDelay(4, { initialDelayMs: 100 }));
    expect(new Set(samples).size).toBeGreaterThan(50); // jittered, so reconnecting clients spread out
    expect(Math.max(...samples)).toBeLessThanOrEqual(1600);
  });
});
