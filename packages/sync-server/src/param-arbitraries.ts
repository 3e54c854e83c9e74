/**
 * Parameter sets for a template, generated from its parameter schema (the JSON Schema of its zod
 * shape that the wire registry carries) with fast-check, seeded: `sync-server check` runs the
 * batch form against the single form on them.
 *
 * Values are drawn mostly from a few small ones per parameter, so that events of different
 * templates meet on the same ids (an update finds the node a create made, a delete removes it);
 * the rest are arbitrary values within the schema's bounds. Every set is then validated by the
 * registry itself, so refinements the JSON Schema cannot express only cost discarded samples.
 * @module
 */
import fc from "fast-check";
import type { TemplateRegistry } from "@kuzu-sync/protocol";

/** The subset of JSON Schema zod's `toJSONSchema` writes for parameter shapes. */
interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly format?: string;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
}

/** Plain strings come mostly from these, so ids collide across templates. */
const STRING_POOL = ["k0", "k1", "k2", "k3", "k4", "k5"];
/** Integers and numbers likewise. */
const NUMBER_POOL = [0, 1, 2, 3, -1, 7];
/** Longest string and array generated beyond the pools: enough to differ, small enough to read. */
const MAX_TEXT = 12;
const MAX_ITEMS = 3;
/** Bound for numbers the schema leaves unbounded (Kuzu INT64 holds them; sums stay exact). */
const NUMBER_BOUND = 1_000_000_000;

/** Generated parameter sets of one template, already validated (defaults filled in). */
export interface ParamPool {
  readonly template: string;
  readonly sets: readonly Record<string, unknown>[];
  /** How many generated sets the registry refused, and the first reason. */
  readonly refused: number;
  readonly firstRefusal?: string;
}

/**
 * The fast-check arbitrary of one JSON Schema.
 * @example fc.sample(arbitraryOf({ type: "integer", minimum: 0, maximum: 9 }), { seed: 1, numRuns: 3 })
 */
export function arbitraryOf(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum !== undefined && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives !== undefined && alternatives.length > 0) return fc.oneof(...alternatives.map(arbitraryOf));
  if (Array.isArray(schema.type)) return fc.oneof(...(schema.type as string[]).map((type) => arbitraryOf({ ...schema, type })));
  switch (schema.type) {
    case "string":
      return stringOf(schema);
    case "integer":
      return numberOf(schema, true);
    case "number":
      return numberOf(schema, false);
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(schema.items === undefined ? anything() : arbitraryOf(schema.items), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? MAX_ITEMS, MAX_ITEMS)),
      });
    case "object":
      return objectOf(schema);
    default:
      // No type (zod types JSON Schema cannot describe): a few plain values; validation decides.
      return anything();
  }
}

/**
 * Up to `count` valid parameter sets for each template of the registry, seeded.
 * @example const pools = paramPools(registry, { seed: 1, count: 48 });
 */
export function paramPools(registry: TemplateRegistry, options: { readonly seed: number; readonly count: number }): Map<string, ParamPool> {
  const pools = new Map<string, ParamPool>();
  for (const [i, t] of registry.toWire().templates.entries()) {
    const arbitrary = objectOf(t.paramsJsonSchema as JsonSchema);
    // Twice as many samples as wanted: some are refused by refinements, some are duplicates.
    const samples = fc.sample(arbitrary, { seed: options.seed + i * 7919, numRuns: options.count * 2 });
    const sets: Record<string, unknown>[] = [];
    const seen = new Set<string>();
    let refused = 0;
    let firstRefusal: string | undefined;
    for (const sample of samples) {
      const v = registry.validate(t.name, sample);
      if (!v.ok) {
        refused++;
        firstRefusal ??= v.message;
        continue;
      }
      const key = JSON.stringify(v.params);
      if (seen.has(key) || sets.length >= options.count) continue;
      seen.add(key);
      sets.push(v.params);
    }
    pools.set(t.name, { template: t.name, sets, refused, ...(firstRefusal === undefined ? {} : { firstRefusal }) });
  }
  return pools;
}

function objectOf(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) model[name] = arbitraryOf(property);
  const required = (schema.required ?? []).filter((name) => Object.hasOwn(properties, name));
  return fc.record(model, { requiredKeys: required }) as fc.Arbitrary<Record<string, unknown>>;
}

function stringOf(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Number.MAX_SAFE_INTEGER;
  // zod writes the pattern it checks next to a format: matching it gives values zod accepts (its
  // email pattern is stricter than fast-check's addresses).
  let base = schema.pattern === undefined ? undefined : matching(schema.pattern);
  if (base === undefined && schema.format === "email") base = fc.emailAddress();
  if (base === undefined && schema.format === "uuid") base = fc.uuid();
  if (base === undefined && schema.format === "date-time") {
    base = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString());
  }
  base ??= fc.string({ minLength: min, maxLength: Math.max(min, Math.min(max, MAX_TEXT)) });
  if (schema.format !== undefined || schema.pattern !== undefined) {
    // A few fixed values of the same shape, drawn often, so they collide too.
    return withPool(base, fc.sample(base, { seed: 42, numRuns: 4 }));
  }
  return withPool(base, STRING_POOL.filter((s) => s.length >= min && s.length <= max));
}

function numberOf(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const low = Math.max(schema.minimum ?? -NUMBER_BOUND, schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : 0) : -NUMBER_BOUND, -NUMBER_BOUND);
  const high = Math.min(schema.maximum ?? NUMBER_BOUND, schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (integer ? 1 : 0) : NUMBER_BOUND, NUMBER_BOUND);
  if (low > high) return fc.constant(low);
  const base = integer
    ? fc.integer({ min: Math.ceil(low), max: Math.floor(high) })
    : fc.double({
        min: low,
        max: high,
        noNaN: true,
        noDefaultInfinity: true,
        minExcluded: schema.exclusiveMinimum !== undefined,
        maxExcluded: schema.exclusiveMaximum !== undefined,
      });
  const inRange = (n: number) =>
    n >= low && n <= high && (schema.exclusiveMinimum === undefined || n > schema.exclusiveMinimum) && (schema.exclusiveMaximum === undefined || n < schema.exclusiveMaximum);
  return withPool(base, NUMBER_POOL.filter((n) => inRange(n) && (!integer || Number.isInteger(n))));
}

/** Mostly the pool (3 in 4), otherwise the full generator. */
function withPool<T>(base: fc.Arbitrary<T>, pool: readonly T[]): fc.Arbitrary<T> {
  if (pool.length === 0) return base;
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: base });
}

function matching(pattern: string): fc.Arbitrary<string> | undefined {
  try {
    return fc.stringMatching(new RegExp(pattern));
  } catch {
    return undefined;
  }
}

function anything(): fc.Arbitrary<unknown> {
  return fc.constantFrom(null, "k0", 1, true);
}
