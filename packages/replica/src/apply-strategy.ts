/**
 * Chooses, per template, how a run of events of that template is applied inside a transaction:
 * one set-at-a-time `UNWIND $rows …` statement (`batch`), or one prepared statement per event
 * (`single`). Which is cheaper depends on the template's batch form and on the data: an UNWIND
 * whose MERGE/MATCH key is a field of the row (`MERGE (n {id: r.id})`) is run by Kuzu 0.11 as a
 * join over the whole table, so its cost grows with the table, while one projected first (`WITH
 * r, r.id AS k MERGE (n {id: k})`) is an index lookup per row, like a single statement. So it is
 * measured rather than guessed. The per-statement cost is measured on a short prefix of a run
 * (the rest goes as a batch), so probing it never costs a whole run of slow statements.
 * @module
 */

/** Runs shorter than this always go one statement per event. */
const MIN_BATCH = 8;
/** Events of a run executed one statement each to measure the per-statement cost. */
const PROBE_ROWS = 16;
/** Every this many runs, the strategy not in use is measured again (tables grow and shrink). */
const PROBE_EVERY = 16;
/** Weight of the newest measurement in the moving average. */
const ALPHA = 0.3;
export type Strategy = "batch" | "single";

/**
 * How to apply one run: `how` for the run, after executing its first `probeSingle` events one
 * statement each (a measurement of the per-statement cost; 0 for none).
 */
export interface RunPlan {
  readonly how: Strategy;
  readonly probeSingle: number;
}

interface Costs {
  batch: number | null;
  single: number | null;
  runs: number;
}

const SINGLE: RunPlan = { how: "single", probeSingle: 0 };

/**
 * @example
 * const strategy = new ApplyStrategy();
 * const plan = strategy.choose("CREATE_USER", run.length, true);
 * // run plan.probeSingle events one by one (strategy.record(…, "single", …)), the rest as plan.how
 * strategy.record("CREATE_USER", plan.how, rest.length, elapsedMs);
 */
export class ApplyStrategy {
  readonly #costs = new Map<string, Costs>();

  /** `batchable`: the template declares a batch form. */
  choose(template: string, runLength: number, batchable: boolean): RunPlan {
    if (!batchable || runLength < MIN_BATCH) return SINGLE;
    let c = this.#costs.get(template);
    if (!c) this.#costs.set(template, (c = { batch: null, single: null, runs: 0 }));
    c.runs++;
    const probe = runLength >= 2 * PROBE_ROWS ? PROBE_ROWS : 0;
    if (c.batch === null) return { how: "batch", probeSingle: c.single === null ? probe : 0 };
    if (c.single === null && probe > 0) return { how: "batch", probeSingle: probe };
    const best: Strategy = c.single === null || c.batch <= c.single ? "batch" : "single";
    const probing = c.runs % PROBE_EVERY === 0;
    if (best === "batch") return { how: "batch", probeSingle: probing ? probe : 0 };
    return probing ? { how: "batch", probeSingle: 0 } : SINGLE;
  }

  /** Record how long `events` events applied with `strategy` took (milliseconds), as cost per event. */
  record(template: string, strategy: Strategy, events: number, ms: number): void {
    const c = this.#costs.get(template);
    if (!c || events === 0) return;
    if (strategy === "batch" && events < MIN_BATCH) return;
    const perEvent = ms / events;
    const old = c[strategy];
    c[strategy] = old === null ? perEvent : old + ALPHA * (perEvent - old);
  }

  /** Current per-event cost estimates in ms, for diagnostics. */
  costs(template: string): { batch: number | null; single: number | null } {
    const c = this.#costs.get(template);
    return { batch: c?.batch ?? null, single: c?.single ?? null };
  }
}
