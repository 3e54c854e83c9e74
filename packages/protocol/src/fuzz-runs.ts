/**
 * Test-only: how hard the property-based tests (`*.fuzz.test.ts`) try. Inside `bun test` they
 * stay short; `bun run fuzz` sets `FUZZ_RUNS` for a long run.
 * @module
 */

/**
 * Runs per property: `FUZZ_RUNS` when it is a positive integer, else `fallback`.
 * @example fc.assert(fc.property(fc.string(), check), { numRuns: fuzzRuns(500) });
 */
export function fuzzRuns(fallback: number): number {
  const runs = Number(process.env["FUZZ_RUNS"]);
  return Number.isSafeInteger(runs) && runs > 0 ? runs : fallback;
}

/**
 * Timeout for one property test: two minutes (a loaded 2-core machine runs them slowly), or an hour for a long `FUZZ_RUNS` run.
 * @example test("never throws", () => { ... }, fuzzTimeout());
 */
export function fuzzTimeout(): number {
  return process.env["FUZZ_RUNS"] === undefined ? 120_000 : 3_600_000;
}
