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
import { accessKey, type Access } from "./footprint.ts";

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
    const accesses = template.accesses;
    const keys = accesses.map((a) => accessKey(a, e.params));
    let layer = floor + 1;
    for (let i = 0; i < accesses.length; i++) layer = Math.max(layer, conflicts.after(accesses[i]!.write, accesses[i]!.table, keys[i]!));
    // Rows of one batch statement never repeat its batch key (Kuzu's MERGE needs that).
    if (batchKey !== null) {
      while (layer < layers.length && layers[layer]!.keys.get(template)?.has(batchKey)) layer++;
    }
    if (layer === layers.length) layers.push(newLayer(false, template, e, batchKey));
    else addTo(layers[layer]!, template, e, batchKey);
    for (let i = 0; i < accesses.length; i++) conflicts.record(accesses[i]!.write, accesses[i]!.table, keys[i]!, layer);
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
  if (keys.length === 1) {
    const v = params[keys[0]!];
    return typeof v === "string" ? v : JSON.stringify(v ?? null);
  }
  return JSON.stringify(keys.map((k) => params[k] ?? null));
}

/**
 * The last layer that read or wrote each entity and each whole table, so a new access can be
 * placed after everything it conflicts with: a read after the last write, a write after the last
 * read and write; whole-table accesses against every key of the table.
 */
class ConflictIndex {
  readonly #tables = new Map<string, TableLayers>();

  /** The first layer an access may go in. */
  after(write: boolean, table: string, key: string | null): number {
    const t = this.#tables.get(table);
    if (!t) return 0;
    let layer = Math.max(t.tableWrite, write ? t.tableRead : -1);
    if (key === null) layer = Math.max(layer, t.anyKeyWrite, write ? t.anyKeyRead : -1);
    else layer = Math.max(layer, t.keyWrite.get(key) ?? -1, write ? (t.keyRead.get(key) ?? -1) : -1);
    return layer + 1;
  }

  record(write: boolean, table: string, key: string | null, layer: number): void {
    let t = this.#tables.get(table);
    if (!t) this.#tables.set(table, (t = { tableWrite: -1, tableRead: -1, anyKeyWrite: -1, anyKeyRead: -1, keyWrite: new Map(), keyRead: new Map() }));
    if (key === null) {
      if (write) t.tableWrite = Math.max(t.tableWrite, layer);
      else t.tableRead = Math.max(t.tableRead, layer);
      return;
    }
    const keys = write ? t.keyWrite : t.keyRead;
    if ((keys.get(key) ?? -1) < layer) keys.set(key, layer);
    if (write) t.anyKeyWrite = Math.max(t.anyKeyWrite, layer);
    else t.anyKeyRead = Math.max(t.anyKeyRead, layer);
  }
}

/** The highest layers that read or wrote a table, as a whole or by key. */
interface TableLayers {
  tableWrite: number;
  tableRead: number;
  /** Highest layer of any key access in the table. */
  anyKeyWrite: number;
  anyKeyRead: number;
  readonly keyWrite: Map<string, number>;
  readonly keyRead: Map<string, number>;
}
