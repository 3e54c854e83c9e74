import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { defineTemplates, exampleRegistry, z } from "@kuzu-sync/protocol";
import { arbitraryOf, paramPools } from "./param-arbitraries.ts";

describe("parameter sets from schemas", () => {
  test("every example template gets valid, distinct, seeded sets whose ids meet across templates", () => {
    const pools = paramPools(exampleRegistry, { seed: 1, count: 48 });
    expect([...pools.keys()]).toEqual(exampleRegistry.names());
    for (const pool of pools.values()) {
      expect(pool.sets.length, pool.template).toBeGreaterThan(10);
      for (const params of pool.sets) expect(exampleRegistry.validate(pool.template, params)).toEqual({ ok: true, params });
      expect(new Set(pool.sets.map((p) => JSON.stringify(p))).size).toBe(pool.sets.length);
    }
    const ids = (template: string, param: string) => new Set(pools.get(template)!.sets.map((p) => p[param]));
    const created = ids("CREATE_USER", "id");
    expect([...ids("DELETE_USER", "id")].filter((id) => created.has(id)).length).toBeGreaterThanOrEqual(3);
    // Optional parameters are sometimes absent, defaults filled in by validation.
    expect(pools.get("CREATE_USER")!.sets.some((p) => p["email"] === undefined)).toBe(true);
    expect(pools.get("INCREMENT_COUNTER")!.sets.every((p) => typeof p["amount"] === "number")).toBe(true);
    expect(paramPools(exampleRegistry, { seed: 1, count: 48 })).toEqual(pools);
    expect(paramPools(exampleRegistry, { seed: 2, count: 48 })).not.toEqual(pools);
  });

  test("bounds, formats, enums, literals, nullables, arrays, objects and unions are respected", () => {
    const shape = {
      a: z.string().min(2).max(4),
      b: z.email(),
      c: z.uuid(),
      d: z.enum(["x", "y"]),
      e: z.literal("k"),
      f: z.int().min(-5).max(5),
      g: z.number().positive().max(10),
      h: z.boolean(),
      i: z.string().nullable(),
      j: z.array(z.int().min(0).max(3)).max(2),
      k: z.object({ p: z.int().min(0).max(1) }),
      l: z.union([z.string().max(3), z.int().min(0).max(9)]),
      m: z.string().regex(/^[a-z]{3}$/),
      n: z.iso.datetime(),
    };
    const schema = z.strictObject(shape);
    const arbitrary = arbitraryOf(z.toJSONSchema(schema, { io: "input" }) as never);
    const samples = fc.sample(arbitrary, { seed: 3, numRuns: 300 });
    const valid = samples.filter((s) => schema.safeParse(s).success);
    expect(valid.length).toBe(samples.length);
  });

  test("a refinement the JSON Schema cannot carry costs samples, and is reported when nothing passes", () => {
    const registry = defineTemplates({
      schema: ["CREATE NODE TABLE T(id STRING, PRIMARY KEY(id))"],
      templates: { NEVER: { params: { id: z.string().refine(() => false, "never valid") }, cypher: "MERGE (:T {id: $id})" } },
    });
    const pool = paramPools(registry, { seed: 1, count: 8 }).get("NEVER")!;
    expect(pool.sets).toEqual([]);
    expect(pool.refused).toBe(16);
    expect(pool.firstRefusal).toBe("NEVER: id: never valid");
  });
});
