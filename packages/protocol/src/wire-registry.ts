/**
 * The schema of a registry's wire form ({@link WireRegistry}): what `welcome.registry` carries and
 * what a registry event in the log holds, parsed the same way in both places.
 * @module
 */
import { z } from "zod";

const cypherText = z.union([z.string(), z.array(z.string()).min(1)]);

const wireAggregate = (() => {
  const base = { name: z.string(), description: z.string().optional() };
  return z.discriminatedUnion("kind", [
    z.object({ ...base, kind: z.literal("sum"), from: z.record(z.string(), z.object({ groupBy: z.string(), value: z.union([z.string(), z.number()]) })) }),
    z.object({
      ...base,
      kind: z.literal("entityCount"),
      set: z.record(z.string(), z.object({ id: z.string(), groupBy: z.string() })),
      remove: z.record(z.string(), z.object({ id: z.string() })),
    }),
  ]);
})();

/**
 * A registry's wire form. `version` and `migrate` are absent from servers older than registry
 * versions (such a registry is version 1), `aggregates` from servers older than aggregates.
 * @example const r = WireRegistrySchema.safeParse(JSON.parse(text));
 */
export const WireRegistrySchema = z.object({
  hash: z.string(),
  version: z.number().int().positive().default(1),
  schema: z.array(z.string()),
  migrate: z.array(z.string()).default([]),
  templates: z.array(
    z.object({
      name: z.string(),
      description: z.string().optional(),
      // One statement, or a short list run in one transaction (a plain string when one).
      cypher: cypherText,
      batch: z.object({ cypher: cypherText, keys: z.array(z.string()) }).optional(),
      paramNames: z.array(z.string()),
      required: z.array(z.string()),
      paramsJsonSchema: z.unknown(),
    }),
  ),
  aggregates: z.array(wireAggregate).default([]),
});
