/**
 * Chooses, per template, between one UNWIND statement for a run of events and one prepared
 * statement per event (in the same transaction). Kuzu 0.11 evaluates `UNWIND $rows … MERGE (n {id:
 * r.id})` as a join over the whole table, so its cost grows with the table, while a single-row
 * MERGE is an index lookup: UNWIND is ~10× faster on small tables and ~2× slower past ~100k rows.
 * The crossover depends on the data, so it is measured rather than guessed.
 * @module
 */

/** Runs shorter than this always go one statement per event. */
const MIN_BATCH = 8;
/** Every this many runs, the strategy not in use is measured again (tables grow and shrink). */
const PROBE_EVERY = 16;
/** Weight of the newest measurement in the moving average. */
const ALPHA = 0.3;

export type Strategy = "batch" | "single";

interface Costs {
  batch: number | null;
  single: number | null;
  runs: number;
}

/**
 * @example
 * const strategy = new ApplyStrategy();
 * const how = strategy.choose("CREATE_USER", run.length, true);
 * const t0 = performance.now(); ...; strategy.record("CREATE_USER", how, run.length, performance.now() - t0);
 */
export class ApplyStrategy {
  readonly #costs = new Map<string, Costs>();

  choose(template: string, runLength: number, batchable: boolean): Strategy {
    if (!batchable || runLength < MIN_BATCH) return "single";
    let c = this.#costs.get(template);
    if (!c) this.#costs.set(template, (c = { batch: null, single: null, runs: 0 }));
    c.runs++;
    if (c.batch === null) return "batch";
    if (c.single === null) return "single";
    const best: Strategy = c.batch <= c.single ? "batch" : "single";
    if (c.runs % PROBE_EVERY === 0) return best === "batch" ? "single" : "batch";
    return best;
  }

  /** Record how long a run took (milliseconds), as cost per event. */
  record(template: string, strategy: Strategy, runLength: number, ms: number): void {
    const c = this.#costs.get(template);
    if (!c || runLength < MIN_BATCH) return;
    const perEvent = ms / runLength;
    const old = c[strategy];
    c[strategy] = old === null ? perEvent : old + ALPHA * (perEvent - old);
  }

  /** Current per-event cost estimates in ms, for diagnostics. */
  costs(template: string): { batch: number | null; single: number | null } {
    const c = this.#costs.get(template);
    return { batch: c?.batch ?? null, single: c?.single ?? null };
  }
}
