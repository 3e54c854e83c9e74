/**
 * Aggregates declared in a template registry: numbers the gateway keeps up to date as events
 * commit, so applications get them in constant time instead of querying history.
 *
 * Two kinds, both grouped by a parameter of the events that feed them:
 * - `sum`: adds a numeric parameter (or a constant) of each event of the listed templates.
 * - `entityCount`: counts live entities per group. `set` templates create or overwrite an entity
 *   (its id and group are parameters), `remove` templates delete it by id. The gateway remembers
 *   each entity's group, so a remove needs only the id, an overwrite that changes the group moves
 *   the entity, a repeated create is not counted twice and removing an unknown entity changes nothing.
 * @module
 */
import type { z } from "zod";

/** One template feeding a `sum` aggregate. */
export interface SumSource {
  /** Parameter whose value is the group key. */
  readonly groupBy: string;
  /** Numeric parameter added per event, or a constant (e.g. 1 to count events, -1 to subtract). */
  readonly value: string | number;
}

/** Sum of a parameter (or constant) over events, grouped by a parameter. */
export interface SumAggregate {
  readonly kind: "sum";
  readonly description?: string;
  /** Template name → how it contributes. */
  readonly from: Readonly<Record<string, SumSource>>;
}

/** Live entities per group; see the module comment. */
export interface EntityCountAggregate {
  readonly kind: "entityCount";
  readonly description?: string;
  /** Templates that create or overwrite an entity: its id parameter and its group parameter. */
  readonly set: Readonly<Record<string, { readonly id: string; readonly groupBy: string }>>;
  /** Templates that delete an entity by its id parameter. */
  readonly remove: Readonly<Record<string, { readonly id: string }>>;
}

/** How a deployment declares one aggregate (it is serialised as is into the wire registry). */
export type AggregateDefinition = SumAggregate | EntityCountAggregate;

/** An aggregate as sent in `welcome.registry.aggregates`. */
export type WireAggregate = AggregateDefinition & { readonly name: string };

/** Aggregate names: what `GET /aggregates/<name>` and `getAggregate(name)` take. */
export const AGGREGATE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** What the checks need to know about each template's parameters. */
interface ParamInfo {
  readonly shape: z.ZodRawShape;
  readonly required: readonly string[];
  readonly jsonSchema: unknown;
}

/**
 * Check aggregate definitions against the templates; throws a TypeError naming the problem.
 * @example
 * checkAggregates({ counters: { kind: "sum", from: { INC: { groupBy: "id", value: "n" } } } }, params);
 */
export function checkAggregates(
  aggregates: Readonly<Record<string, AggregateDefinition>>,
  templates: ReadonlyMap<string, ParamInfo>,
): WireAggregate[] {
  const out: WireAggregate[] = [];
  for (const [name, a] of Object.entries(aggregates)) {
    if (!AGGREGATE_NAME.test(name)) throw new TypeError(`aggregate name ${JSON.stringify(name)} must match ${AGGREGATE_NAME}`);
    const where = `aggregate ${name}`;
    const param = (template: string, p: string, role: string, numeric: boolean): void => {
      const info = templates.get(template);
      if (!info) throw new TypeError(`${where}: template ${template} is not in the registry`);
      if (!Object.hasOwn(info.shape, p)) throw new TypeError(`${where}: ${template} has no parameter ${p} (${role})`);
      const type = paramType(info.jsonSchema, p);
      if (numeric && type !== "integer" && type !== "number") {
        throw new TypeError(`${where}: ${template}.${p} (${role}) must be a number parameter, not ${type ?? "untyped"}`);
      }
      if (!numeric && type !== "string" && type !== "integer") {
        throw new TypeError(`${where}: ${template}.${p} (${role}) must be a string or integer parameter, not ${type ?? "untyped"}`);
      }
      // A group or entity id that may be absent has no group to count in.
      if (!numeric && !info.required.includes(p)) throw new TypeError(`${where}: ${template}.${p} (${role}) must be a required parameter`);
    };
    if (a.kind === "sum") {
      const sources = Object.entries(a.from);
      if (sources.length === 0) throw new TypeError(`${where}: 'from' names no template`);
      for (const [template, s] of sources) {
        param(template, s.groupBy, "groupBy", false);
        if (typeof s.value === "string") param(template, s.value, "value", true);
        else if (!Number.isFinite(s.value)) throw new TypeError(`${where}: ${template} value must be a parameter name or a finite number`);
      }
      out.push({ name, kind: "sum", ...(a.description === undefined ? {} : { description: a.description }), from: cloneRecord(a.from) });
    } else if (a.kind === "entityCount") {
      if (Object.keys(a.set).length === 0) throw new TypeError(`${where}: 'set' names no template`);
      for (const [template, s] of Object.entries(a.set)) {
        param(template, s.id, "id", false);
        param(template, s.groupBy, "groupBy", false);
      }
      for (const [template, r] of Object.entries(a.remove)) {
        if (Object.hasOwn(a.set, template)) throw new TypeError(`${where}: ${template} cannot both set and remove`);
        param(template, r.id, "id", false);
      }
      out.push({
        name,
        kind: "entityCount",
        ...(a.description === undefined ? {} : { description: a.description }),
        set: cloneRecord(a.set),
        remove: cloneRecord(a.remove),
      });
    } else {
      throw new TypeError(`${where}: unknown kind ${JSON.stringify((a as { kind: unknown }).kind)} (sum | entityCount)`);
    }
  }
  return out;
}

function paramType(jsonSchema: unknown, name: string): string | undefined {
  const props = (jsonSchema as { properties?: Record<string, { type?: unknown }> }).properties;
  const t = props?.[name]?.type;
  return typeof t === "string" ? t : undefined;
}

function cloneRecord<T extends object>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, { ...v }]));
}
