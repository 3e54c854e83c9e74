/**
 * Does a template's batch form do exactly what its single form does? A replica applies a run of
 * events of one template (no two with the same `keys`) with one batch statement when it can, and
 * event by event otherwise; if the two differ, replicas that cut their runs differently diverge.
 *
 * The check, per template with a batch form, in two scratch databases A and B that start equal:
 * repeatedly apply a few random events of any template to both (single forms, so the graph holds
 * what the run will meet), then one run of the template: event by event in A (each in its own
 * transaction, a failing one leaving nothing, as replicas do), with the batch form in B. Then
 * - the batch failed and some single event failed too: a replica falls back to one event at a
 *   time, so B does the same (and must then equal A);
 * - the batch failed though every single event succeeded: the batch form is wrong for valid input;
 * - the batch succeeded: A and B must hold the same graph (canonical digest).
 * @module
 */
import type { TemplateRegistry, WireTemplate } from "@kuzu-sync/protocol";
import { diffGraphDumps, ScratchGraph } from "@kuzu-sync/replica";
import { paramPools, type ParamPool } from "./param-arbitraries.ts";

export interface EquivalenceOptions {
  /** Seed of everything random (parameter sets and the order of events). */
  readonly seed: number;
  /** Runs per template. */
  readonly runs: number;
  /** Longest run (rows of one batch). */
  readonly maxRunLength: number;
  /** Most events of other templates applied between two runs. */
  readonly maxEventsBetween: number;
}

export const DEFAULT_EQUIVALENCE: EquivalenceOptions = Object.freeze({ seed: 1, runs: 30, maxRunLength: 12, maxEventsBetween: 5 });

/** What the check found for one template. */
export interface EquivalenceResult {
  readonly template: string;
  readonly ok: boolean;
  /** Runs compared, and the events in them. */
  readonly runs: number;
  readonly events: number;
  /** Runs whose batch failed because one of their events fails (replicas fall back; not a problem). */
  readonly fallbacks: number;
  /** When not ok: what differed, and how to look at it. */
  readonly message?: string;
  readonly fix?: string;
}

/**
 * Checks the batch form of every template that has one.
 * @example
 * for (const r of await checkBatchForms(registry, DEFAULT_EQUIVALENCE)) if (!r.ok) problems.push(`${r.template}: ${r.message}`);
 */
export async function checkBatchForms(registry: TemplateRegistry, options: EquivalenceOptions = DEFAULT_EQUIVALENCE): Promise<EquivalenceResult[]> {
  const wire = registry.toWire();
  const pools = paramPools(registry, { seed: options.seed, count: 48 });
  const results: EquivalenceResult[] = [];
  for (const [i, template] of wire.templates.entries()) {
    if (template.batch === undefined) continue;
    results.push(await checkOne(wire.schema, wire.templates, template, pools, { ...options, seed: options.seed + i }));
  }
  return results;
}

async function checkOne(
  schema: readonly string[],
  templates: readonly WireTemplate[],
  template: WireTemplate,
  pools: ReadonlyMap<string, ParamPool>,
  options: EquivalenceOptions,
): Promise<EquivalenceResult> {
  const pool = pools.get(template.name)!;
  if (pool.sets.length === 0) {
    return {
      template: template.name,
      ok: false,
      runs: 0,
      events: 0,
      fallbacks: 0,
      message: `no valid parameter set could be generated from its schema${pool.firstRefusal === undefined ? "" : ` (the registry refused them: ${pool.firstRefusal})`}`,
      fix: "simplify the parameter schema (refinements and transforms the generator cannot see), or test the batch form yourself",
    };
  }
  const random = mulberry32(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const others = templates.filter((t) => (pools.get(t.name)?.sets.length ?? 0) > 0);
  await using single = await ScratchGraph.create(schema);
  await using batched = await ScratchGraph.create(schema);
  let events = 0;
  let fallbacks = 0;
  for (let run = 1; run <= options.runs; run++) {
    const between = Math.floor(random() * (options.maxEventsBetween + 1));
    for (let e = 0; e < between; e++) {
      const t = pick(others);
      const params = pick(pools.get(t.name)!.sets);
      await single.applySingle(t, params);
      await batched.applySingle(t, params);
    }
    const rows = distinctKeyRun(template, pool.sets, 1 + Math.floor(random() * options.maxRunLength), random);
    events += rows.length;
    const outcomes = [];
    for (const params of rows) outcomes.push(await single.applySingle(template, params));
    const batch = await batched.applyBatch(template, rows);
    if (!batch.ok) {
      if (outcomes.every((o) => o.ok)) {
        return {
          template: template.name,
          ok: false,
          runs: run,
          events,
          fallbacks,
          message: `the batch form failed on run ${run} where every event succeeds with the single form: ${batch.error}; rows: ${JSON.stringify(rows)}`,
          fix: "make the batch form accept every row the single form accepts",
        };
      }
      fallbacks++;
      for (const params of rows) await batched.applySingle(template, params);
    }
    const [a, b] = [await single.digest(), await batched.digest()];
    if (a.sha256 !== b.sha256) {
      const diff = diffGraphDumps(await single.dump(), await batched.dump(), 10);
      return {
        template: template.name,
        ok: false,
        runs: run,
        events,
        fallbacks,
        message:
          `the batch form left a different graph than the single form on run ${run} (${rows.length} rows: ${JSON.stringify(rows)}); ` +
          `"-" only after the single form, "+" only after the batch form:\n      ${diff.join("\n      ")}`,
        fix: "give the batch form exactly the effect of the single form applied row by row, see docs/REGISTRY.md",
      };
    }
  }
  return { template: template.name, ok: true, runs: options.runs, events, fallbacks };
}

/**
 * Up to `length` parameter sets with pairwise different batch keys: a replica never puts two
 * events for the same key into one batch (Kuzu's MERGE on one key twice in one UNWIND misbehaves).
 */
function distinctKeyRun(template: WireTemplate, sets: readonly Record<string, unknown>[], length: number, random: () => number): Record<string, unknown>[] {
  const keys = template.batch?.keys ?? [];
  const out: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  for (let tries = 0; out.length < length && tries < length * 8; tries++) {
    const params = sets[Math.floor(random() * sets.length)]!;
    const key = JSON.stringify(keys.map((k) => params[k] ?? null));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(params);
  }
  return out;
}

/** A small seeded generator (mulberry32): the same seed gives the same events everywhere. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}
