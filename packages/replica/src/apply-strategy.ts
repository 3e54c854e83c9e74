/**
 * Chooses, per template, how a run of events of that template is applied inside a transaction:
 *
 * - `insert`: the template's optimistic insert form (`UNWIND $rows … CREATE`), when it declares
 *   one. Its cost does not depend on the table's size, but it fails (primary-key violation) when a
 *   row's key already exists; the replica then redoes the transaction without it, and the insert
 *   form rests for a while (doubling after each failure, reset by a success).
 * - `batch`: one `UNWIND $rows … MERGE` statement. Kuzu 0.11 evaluates `UNWIND … MERGE (n {id:
 *   r.id})` as a join over the whole table, so its cost grows with the table, while
 * - `single`: one prepared statement per event, an index lookup each, costs the same at any size.
 *   UNWIND is ~10× faster on small tables and ~2× slower past ~100k rows.
 *
 * The batch/single crossover depends on the data, so it is measured rather than guessed. The
 * per-statement cost is measured on a short prefix of a run (the rest goes as a batch), so probing
 * it never costs a whole run of slow statements.
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
/** Longest rest (in runs) of the insert form after repeated failures. */
const MAX_INSERT_REST = 256;

export type Strategy = "insert" | "batch" | "single";

/** The set-at-a-time forms a template declares. */
export interface BatchForms {
  readonly batch: boolean;
  readonly insert: boolean;
}

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
  /** Consecutive failures of the insert form, and runs left before it is tried again. */
  insertFailures: number;
  insertRest: number;
}

const SINGLE: RunPlan = { how: "single", probeSingle: 0 };

/**
 * @example
 * const strategy = new ApplyStrategy();
 * const plan = strategy.choose("CREATE_USER", run.length, { batch: true, insert: true });
 * // run plan.probeSingle events one by one (strategy.record(…, "single", …)), the rest as plan.how
 * strategy.record("CREATE_USER", plan.how, rest.length, elapsedMs);
 */
export class ApplyStrategy {
  readonly #costs = new Map<string, Costs>();

  choose(template: string, runLength: number, forms: BatchForms): RunPlan {
    if (!forms.batch || runLength < MIN_BATCH) return SINGLE;
    const c = this.#entry(template);
    c.runs++;
    if (forms.insert) {
      if (c.insertRest === 0) return { how: "insert", probeSingle: 0 };
      c.insertRest--;
    }
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
    if (strategy === "insert") {
      c.insertFailures = 0;
      return;
    }
    if (strategy === "batch" && events < MIN_BATCH) return;
    const perEvent = ms / events;
    const old = c[strategy];
    c[strategy] = old === null ? perEvent : old + ALPHA * (perEvent - old);
  }

  /** The insert form failed (a key already existed): rest it, twice as long as last time. */
  insertFailed(template: string): void {
    const c = this.#entry(template);
    c.insertFailures++;
    c.insertRest = Math.min(MAX_INSERT_REST, 2 ** c.insertFailures);
  }

  /** Current per-event cost estimates in ms, for diagnostics. */
  costs(template: string): { batch: number | null; single: number | null } {
    const c = this.#costs.get(template);
    return { batch: c?.batch ?? null, single: c?.single ?? null };
  }

  #entry(template: string): Costs {
    let c = this.#costs.get(template);
    if (!c) this.#costs.set(template, (c = { batch: null, single: null, runs: 0, insertFailures: 0, insertRest: 0 }));
    return c;
  }
}
