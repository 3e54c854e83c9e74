/**
 * A seeded random generator for tests and benchmarks: `Math.random` cannot be seeded, and a run
 * that fails (or a history a benchmark measures) must be reproducible from its seed.
 * @module
 */

/**
 * mulberry32: small, fast, and the same numbers for the same seed everywhere.
 * @example const random = seeded(42); const pick = Math.floor(random() * 10);
 */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
