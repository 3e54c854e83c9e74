import { afterEach, describe, expect, test } from "bun:test";
import { defineTemplates, type SequencedEvent } from "@kuzu-sync/protocol";
import { z } from "zod";
import { ApplyStrategy } from "./apply-strategy.ts";
import { Replica } from "./replica.ts";
import { splitByShape } from "./row-shapes.ts";

describe("splitByShape", () => {
  test("groups rows by the kind at every path, in first-seen order", () => {
    expect(splitByShape([{ x: 3 }, { x: 2.5 }, { x: 4 }, { x: null }])).toEqual([[{ x: 3 }, { x: 4 }], [{ x: 2.5 }], [{ x: null }]]);
    expect(splitByShape([{ l: [1, 2] }, { l: [1.5] }, { l: [3, 4] }]).map((g) => g.length)).toEqual([2, 1]);
    expect(splitByShape([{ o: { a: 1, b: "x" } }, { o: { a: 2, b: "y" } }])).toHaveLength(1);
    expect(splitByShape([])).toEqual([]);
  });
});

const open: Replica[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

test("a batch whose number parameter mixes whole numbers and fractions stores exactly what one event at a time stores", async () => {
  const registry = defineTemplates({
    schema: ["CREATE NODE TABLE M(id STRING, x DOUBLE, PRIMARY KEY(id))"],
    templates: {
      MEASURE: {
        params: { id: z.string(), x: z.number() },
        cypher: "MERGE (m:M {id: $id}) SET m.x = $x",
        batch: { cypher: "UNWIND $rows AS r WITH r, r.id AS k MERGE (m:M {id: k}) SET m.x = r.x", keys: ["id"] },
      },
    },
  });
  const values = [3, 2.5, 4, -1.25, 0, 7, 1e-3, 12];
  const events: SequencedEvent[] = values.map((x, i) => ({ id: `e${i}`, template: "MEASURE", params: { id: `m${i}`, x }, clientId: "c", timestamp: 0, seq: i + 1, serverTimestamp: 0 }));
  const read = async (forced: "batch" | "single") => {
    const r = await Replica.open();
    open.push(r);
    await r.install(registry.toWire());
    // Force the form (the strategy would pick by measured cost).
    const choose = ApplyStrategy.prototype.choose;
    ApplyStrategy.prototype.choose = (_t: unknown, n: number, batchable: boolean) => ({ how: forced === "batch" && batchable && n >= 2 ? "batch" : "single", probeSingle: 0 });
    try {
      await r.apply(events);
    } finally {
      ApplyStrategy.prototype.choose = choose;
    }
    return r.query("MATCH (m:M) RETURN m.id AS id, m.x AS x ORDER BY id");
  };
  const single = await read("single");
  expect(single.map((row) => row["x"])).toEqual(values);
  expect(await read("batch")).toEqual(single);
});
