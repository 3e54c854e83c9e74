/**
 * How a replica cuts a batch of events into runs: consecutive events of one template, each run
 * applied with one set-at-a-time statement where the template has a batch form. A run is cut
 * where its batch key repeats, because Kuzu gives wrong results for MERGE on one key twice inside
 * one UNWIND (and a CREATE would fail on it).
 * @module
 */
import type { SequencedEvent, WireTemplate } from "@kuzu-sync/protocol";

/**
 * Runs of `events`, in order. Templates without a batch form make runs of one event.
 * @example
 * for (const run of splitRuns(events, templatesByName, 2_000)) await applyRun(run);
 */
export function* splitRuns(
  events: readonly SequencedEvent[],
  templates: ReadonlyMap<string, WireTemplate>,
  maxRows: number,
): Generator<SequencedEvent[]> {
  let run: SequencedEvent[] = [];
  let keys = new Set<string>();
  for (const e of events) {
    const batch = templates.get(e.template)?.batch;
    const key = batch ? batchKey(batch.keys, e.params) : "";
    const head = run[0];
    if (head && (batch === undefined || head.template !== e.template || keys.has(key) || run.length >= maxRows)) {
      yield run;
      run = [];
      keys = new Set();
    }
    run.push(e);
    keys.add(key);
  }
  if (run.length > 0) yield run;
}

/** Identity of the entity an event writes, for cutting runs where it repeats. */
function batchKey(keys: readonly string[], params: Readonly<Record<string, unknown>>): string {
  if (keys.length === 1) {
    const v = params[keys[0]!];
    return typeof v === "string" ? v : JSON.stringify(v ?? null);
  }
  return JSON.stringify(keys.map((n) => params[n] ?? null));
}

/**
 * The parameters a template's statements are executed with: every declared one, an absent
 * optional one as null (Kuzu needs every `$name` bound).
 * @example
 * bindParams(template, { id: "u1", name: "Alice" }); // { id: "u1", name: "Alice", email: null }
 */
export function bindParams(template: WireTemplate, params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of template.paramNames) out[name] = params[name] ?? null;
  return out;
}
