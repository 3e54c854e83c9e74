/**
 * What one event does to one aggregate, derived from the registry's declarations: pure functions
 * of the event's (normalised) parameters, so every gateway computes the same values.
 * @module
 */
import type { SequencedEvent, WireAggregate } from "@kuzu-sync/protocol";

/** A `sum` aggregate: each event adds `amount` to `group`. */
export interface CompiledSum {
  readonly kind: "sum";
  readonly name: string;
  readonly description: string | undefined;
  readonly templates: readonly string[];
  contribution(event: SequencedEvent): { readonly group: string; readonly amount: number } | null;
}

/** An `entityCount` aggregate: each event sets an entity's group, or removes the entity. */
export interface CompiledEntityCount {
  readonly kind: "entityCount";
  readonly name: string;
  readonly description: string | undefined;
  readonly templates: readonly string[];
  operation(event: SequencedEvent): { readonly type: "set"; readonly entity: string; readonly group: string } | { readonly type: "remove"; readonly entity: string } | null;
}

export type CompiledAggregate = CompiledSum | CompiledEntityCount;

/**
 * Group keys and entity ids as strings: the registry only allows string and integer parameters
 * there, and both print the same way everywhere.
 */
function key(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * @example
 * const [counters] = compileAggregates(registry.toWire().aggregates);
 * counters.kind === "sum" && counters.contribution(event); // { group: "c1", amount: 5 }
 */
export function compileAggregates(definitions: readonly WireAggregate[]): CompiledAggregate[] {
  return definitions.map((def): CompiledAggregate => {
    if (def.kind === "sum") {
      const from = new Map(Object.entries(def.from));
      return {
        kind: "sum",
        name: def.name,
        description: def.description,
        templates: [...from.keys()],
        contribution(event) {
          const source = from.get(event.template);
          if (!source) return null;
          const group = key(event.params[source.groupBy]);
          // An absent optional value parameter adds nothing (normalised params carry defaults).
          const amount = typeof source.value === "number" ? source.value : event.params[source.value];
          if (group === null || typeof amount !== "number" || !Number.isFinite(amount)) return null;
          return { group, amount };
        },
      };
    }
    const set = new Map(Object.entries(def.set));
    const remove = new Map(Object.entries(def.remove));
    return {
      kind: "entityCount",
      name: def.name,
      description: def.description,
      templates: [...set.keys(), ...remove.keys()],
      operation(event) {
        const s = set.get(event.template);
        if (s) {
          const entity = key(event.params[s.id]);
          const group = key(event.params[s.groupBy]);
          return entity === null || group === null ? null : { type: "set", entity, group };
        }
        const r = remove.get(event.template);
        const entity = r ? key(event.params[r.id]) : null;
        return entity === null ? null : { type: "remove", entity };
      },
    };
  });
}
