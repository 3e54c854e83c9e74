/**
 * Chooses, per template, how a group of events of that template is applied inside a transaction:
 * one set-at-a-time `UNWIND $rows …` statement (`batch`), or one prepared statement per event
 * (`single`). Both leave the same state (the group's events touch disjoint entities), so this is
 * only about speed, and it is measured rather than guessed: in Kuzu 0.11 a single statement with
 * `$param` keys is an index lookup (~0.2–1 ms, whatever the table size), while an UNWIND statement
 * is planned as a join whose fixed cost grows with the tables it touches (~2 ms at 20k nodes,
 * 20–50 ms at 200k nodes or 50k relationships) plus a small cost per row. So a batch pays off only
 * past some group length, which moves as the tables grow. The strategy keeps, per template, the
 * cost of one single statement and a fitted `fixed + perRow × rows` cost of a batch statement, and
 * picks the cheaper for each group. The per-statement cost is measured on a short prefix of a
 * group (the rest goes as a batch), so probing it never costs a whole group of slow statements;
 * the strategy not in use is measured again now and then.
 * @module
 */

/** Groups shorter than this go one statement per event until a batch has been measured. */
const MIN_FIRST_BATCH = 8;
/** Events of a group executed one statement each to measure the per-statement cost. */
const PROBE_ROWS = 16;
/** Every this many choices, the strategy not in use is measured again (tables grow and shrink). */
const PROBE_EVERY = 16;
/** Weight of the newest measurement in the per-statement moving average. */
const ALPHA = 0.3;
/** How much of the batch cost fit each new batch measurement keeps (older ones fade). */
const DECAY = 0.85;
export type Strategy = "batch" | "single";

/**
 * How to apply one group: `how` for the group, after executing its first `probeSingle` events one
 * statement each (a measurement of the per-statement cost; 0 for none).
 */
export interface RunPlan {
  readonly how: Strategy;
  readonly probeSingle: number;
}

/** Decayed sums for a least-squares fit of batch cost (ms) against rows. */
interface BatchFit {
  w: number;
  x: number;
  y: number;
  xx: number;
  xy: number;
}

interface Costs {
  batch: BatchFit | null;
  single: number | null;
  choices: number;
}

const SINGLE: RunPlan = { how: "single", probeSingle: 0 };

/**
 * Keyed by the compiled template object, not its name: one name can stand for different Cypher
 * in different registry versions.
 * @example
 * const strategy = new ApplyStrategy<Compiled>();
 * const plan = strategy.choose(compiled, group.length, true);
 * // run plan.probeSingle events one by one (strategy.record(…, "single", …)), the rest as plan.how
 * strategy.record(compiled, plan.how, rest.length, elapsedMs);
 */
export class ApplyStrategy<K = unknown> {
  readonly #costs = new Map<K, Costs>();

  /** `batchable`: the template declares a batch form. */
  choose(template: K, groupLength: number, batchable: boolean): RunPlan {
    if (!batchable || groupLength < 2) return SINGLE;
    let c = this.#costs.get(template);
    if (!c) this.#costs.set(template, (c = { batch: null, single: null, choices: 0 }));
    const probe = groupLength >= 2 * PROBE_ROWS ? PROBE_ROWS : 0;
    if (c.batch === null) {
      if (groupLength < MIN_FIRST_BATCH) return SINGLE;
      return { how: "batch", probeSingle: c.single === null ? probe : 0 };
    }
    if (c.single === null) return probe > 0 ? { how: "batch", probeSingle: probe } : { how: "batch", probeSingle: 0 };
    c.choices++;
    const { fixed, perRow } = fit(c.batch);
    const best: Strategy = fixed + perRow * groupLength <= c.single * groupLength ? "batch" : "single";
    const probing = c.choices % PROBE_EVERY === 0;
    if (best === "batch") return { how: "batch", probeSingle: probing ? probe : 0 };
    return probing && groupLength >= MIN_FIRST_BATCH ? { how: "batch", probeSingle: 0 } : SINGLE;
  }

  /** Record how long `events` events applied with `strategy` took (milliseconds). */
  record(template: K, strategy: Strategy, events: number, ms: number): void {
    const c = this.#costs.get(template);
    if (!c || events === 0) return;
    if (strategy === "single") {
      const perEvent = ms / events;
      c.single = c.single === null ? perEvent : c.single + ALPHA * (perEvent - c.single);
      return;
    }
    const f = c.batch ?? { w: 0, x: 0, y: 0, xx: 0, xy: 0 };
    f.w = f.w * DECAY + 1;
    f.x = f.x * DECAY + events;
    f.y = f.y * DECAY + ms;
    f.xx = f.xx * DECAY + events * events;
    f.xy = f.xy * DECAY + events * ms;
    c.batch = f;
  }

  /** Current cost estimates in ms (batch: fixed per statement and per row), for diagnostics. */
  costs(template: K): { batchFixed: number | null; batchPerRow: number | null; single: number | null } {
    const c = this.#costs.get(template);
    const f = c?.batch ? fit(c.batch) : null;
    return { batchFixed: f?.fixed ?? null, batchPerRow: f?.perRow ?? null, single: c?.single ?? null };
  }
}

/**
 * `fixed + perRow × rows` fitted to the decayed measurements. While the group lengths measured
 * are too alike to tell the two apart (their spread under a quarter of their mean), all of it
 * counts as fixed, which errs towards single statements for shorter groups and towards batches
 * for longer ones; a fit over a narrow range would extrapolate noise.
 */
function fit(f: BatchFit): { fixed: number; perRow: number } {
  const mean = f.y / f.w;
  const spread = f.w * f.xx - f.x * f.x;
  if (spread <= 0.0625 * f.x * f.x) return { fixed: mean, perRow: 0 };
  let perRow = (f.w * f.xy - f.x * f.y) / spread;
  let fixed = (f.y - perRow * f.x) / f.w;
  if (perRow < 0) [perRow, fixed] = [0, mean];
  if (fixed < 0) [fixed, perRow] = [0, f.xy / f.xx];
  return { fixed, perRow };
}
