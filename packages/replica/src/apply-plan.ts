/**
 * The order a replica applies a window of events in: cut into conflict-free layers, each layer
 * one group per template, so a mixed stream is applied with a few set-at-a-time statements
 * instead of one statement per event.
 *
 * An event goes into the layer after the last one holding an event it conflicts with (both touch
 * one entity and at least one writes it; see `footprint.ts`). Events in one layer touch disjoint
 * entities, so they commute: any order among them, including one UNWIND per template, leaves what
 * seq order leaves. Every conflicting pair stays in seq order across layers. An event whose
 * footprint is unknown (raw DML, a template the analysis does not understand, an unknown template)
 * is a barrier: a layer of its own, after everything before it and before everything after it.
 *
 * The plan depends only on the events and the registry, never on timing, so every replica
 * computes the same one; and since it is equivalent to seq order, a replica that cuts its windows
 * elsewhere still ends in the same state.
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { entityAccesses, type Access } from "./footprint.ts";

/** What the planner needs to know about a template. */
export interface PlanTemplate {
  /** The template's footprint; null when unknown (each event is a barrier, applied alone). */
  readonly accesses: readonly Access[] | null;
  /** `batch.keys` when the template has a batch form: rows of one statement never repeat them. */
  readonly batchKeys: readonly string[] | null;
}

/** Events of one template (in seq order) to apply together; `template` null: an unknown template's event. */
export interface PlanStep<T> {
  readonly template: T | null;
  readonly events: readonly SequencedEvent[];
}

interface Layer<T> {
  readonly barrier: boolean;
  readonly groups: Map<T | null, SequencedEvent[]>;
  /** Batch keys used in this layer, per template. */
  readonly keys: Map<T | null, Set<string>>;
}

/**
 * Steps to apply `events` with, in order. `templateOf` gives an event's template, or null for an
 * event that must run alone (raw DML, unknown template). Events marked `duplicateOf` have no
 * effect and are left out. Groups longer than `maxRows` are cut into several steps.
 * @example
 * for (const step of planApply(events, (e) => compiled.get(e.template) ?? null, 2_000)) await run(step);
 */
export function planApply<T extends PlanTemplate>(
  events: readonly SequencedEvent[],
  templateOf: (e: SequencedEvent) => T | null,
  maxRows: number,
): PlanStep<T>[] {
  const layers: Layer<T>[] = [];
  const conflicts = new ConflictIndex();
  /** Index of the last barrier layer: every later event goes after it. */
  let floor = -1;
  for (const e of events) {
    if (e.duplicateOf !== undefined) continue;
    const template = templateOf(e);
    const batchKey = template?.batchKeys ? keyOf(template.batchKeys, e.params) : null;
    if (template === null || template.accesses === null) {
      layers.push(newLayer(true, template, e, batchKey));
      floor = layers.length - 1;
      continue;
    }
    const accesses = entityAccesses(template.accesses, e.params);
    let layer = floor + 1;
    for (const a of accesses) layer = Math.max(layer, conflicts.after(a.write, a.table, a.key));
    // Rows of one batch statement never repeat its batch key (Kuzu's MERGE needs that).
    if (batchKey !== null) {
      while (layer < layers.length && layers[layer]!.keys.get(template)?.has(batchKey)) layer++;
    }
    if (layer === layers.length) layers.push(newLayer(false, template, e, batchKey));
    else addTo(layers[layer]!, template, e, batchKey);
    for (const a of accesses) conflicts.record(a.write, a.table, a.key, layer);
  }
  const steps: PlanStep<T>[] = [];
  for (const layer of layers) {
    for (const [template, group] of layer.groups) {
      if (template === null) {
        for (const e of group) steps.push({ template: null, events: [e] });
        continue;
      }
      for (let i = 0; i < group.length; i += maxRows) steps.push({ template, events: group.slice(i, i + maxRows) });
    }
  }
  return steps;
}

function newLayer<T>(barrier: boolean, template: T | null, e: SequencedEvent, batchKey: string | null): Layer<T> {
  const layer: Layer<T> = { barrier, groups: new Map(), keys: new Map() };
  addTo(layer, template, e, batchKey);
  return layer;
}

function addTo<T>(layer: Layer<T>, template: T | null, e: SequencedEvent, batchKey: string | null): void {
  const group = layer.groups.get(template);
  if (group) group.push(e);
  else layer.groups.set(template, [e]);
  if (batchKey === null) return;
  const keys = layer.keys.get(template);
  if (keys) keys.add(batchKey);
  else layer.keys.set(template, new Set([batchKey]));
}

/** The batch key of an event (its values of `keys`), as one string. */
function keyOf(keys: readonly string[], params: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(keys.map((k) => params[k] ?? null));
}

/**
 * The last layer that read or wrote each entity and each whole table, so a new access can be
 * placed after everything it conflicts with: a read after the last write, a write after the last
 * read and write; whole-table accesses against every key of the table.
 */
class ConflictIndex {
  readonly #keyWrite = new Map<string, number>();
  readonly #keyRead = new Map<string, number>();
  readonly #tableWrite = new Map<string, number>();
  readonly #tableRead = new Map<string, number>();
  /** Highest layer of any key access in a table. */
  readonly #anyKeyWrite = new Map<string, number>();
  readonly #anyKeyRead = new Map<string, number>();

  /** The first layer an access may go in. */
  after(write: boolean, table: string, key: string | null): number {
    const at = (m: Map<string, number>, k: string) => (m.get(k) ?? -1) + 1;
    let layer = at(this.#tableWrite, table);
    if (write) layer = Math.max(layer, at(this.#tableRead, table));
    if (key === null) {
      layer = Math.max(layer, at(this.#anyKeyWrite, table));
      if (write) layer = Math.max(layer, at(this.#anyKeyRead, table));
    } else {
      const id = `${table}\u0000${key}`;
      layer = Math.max(layer, at(this.#keyWrite, id));
      if (write) layer = Math.max(layer, at(this.#keyRead, id));
    }
    return layer;
  }

  record(write: boolean, table: string, key: string | null, layer: number): void {
    const raise = (m: Map<string, number>, k: string) => {
      if ((m.get(k) ?? -1) < layer) m.set(k, layer);
    };
    if (key === null) raise(write ? this.#tableWrite : this.#tableRead, table);
    else {
      raise(write ? this.#keyWrite : this.#keyRead, `${table}\u0000${key}`);
      raise(write ? this.#anyKeyWrite : this.#anyKeyRead, table);
    }
  }
}
