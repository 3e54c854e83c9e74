import { describe, expect, test } from "bun:test";
import { exampleRegistry, cypherStatements, type SequencedEvent } from "@kuzu-sync/protocol";
import { cutAtRelHazards, relEffects, type RelEffects } from "./rel-hazards.ts";
import { readSchemaTables } from "./schema-tables.ts";

const wire = exampleRegistry.toWire();
const tables = readSchemaTables(wire.schema);
const effects = new Map(
  wire.templates.map((t) => [t.name, relEffects([...cypherStatements(t.cypher), ...(t.batch ? cypherStatements(t.batch.cypher) : [])], tables)]),
);
const sorted = (fx: RelEffects | undefined) => ({ merges: [...(fx?.merges ?? [])].sort(), deletes: [...(fx?.deletes ?? [])].sort() });

describe("relEffects", () => {
  test("the example templates: MERGE and DELETE of the relationship tables they name; DETACH DELETE of every table touching the node", () => {
    expect(sorted(effects.get("FOLLOW_USER"))).toEqual({ merges: ["FOLLOWS"], deletes: [] });
    expect(sorted(effects.get("UNFOLLOW_USER"))).toEqual({ merges: [], deletes: ["FOLLOWS"] });
    expect(sorted(effects.get("CREATE_POST"))).toEqual({ merges: ["AUTHORED"], deletes: [] });
    expect(sorted(effects.get("DELETE_USER"))).toEqual({ merges: [], deletes: ["AUTHORED", "FOLLOWS"] });
    expect(sorted(effects.get("DELETE_POST"))).toEqual({ merges: [], deletes: ["AUTHORED"] });
    expect(sorted(effects.get("CREATE_USER"))).toEqual({ merges: [], deletes: [] });
  });

  test("text it cannot read, or an unknown schema, may do anything", () => {
    expect(sorted(relEffects(["MATCH (u:User) RETURN '\u00e9'\u00e9"], tables))).toEqual({ merges: ["AUTHORED", "FOLLOWS"], deletes: ["AUTHORED", "FOLLOWS"] });
  });
});

describe("cutAtRelHazards", () => {
  let seq = 0;
  const ev = (template: string, extra: Partial<SequencedEvent> = {}): SequencedEvent => ({ id: `e${++seq}`, template, params: {}, clientId: "c", timestamp: 0, seq, serverTimestamp: 0, ...extra });
  const cut = (events: SequencedEvent[]) => cutAtRelHazards(events, (e) => effects.get(e.template) ?? null).map((run) => run.map((e) => e.seq));

  test("one run while no event deletes from a table another MERGEs on; a cut before each one that does", () => {
    seq = 0;
    expect(cut([ev("FOLLOW_USER"), ev("CREATE_POST"), ev("CREATE_USER"), ev("FOLLOW_USER")])).toEqual([[1, 2, 3, 4]]);
    seq = 0;
    expect(cut([ev("FOLLOW_USER"), ev("FOLLOW_USER"), ev("UNFOLLOW_USER"), ev("UNFOLLOW_USER"), ev("FOLLOW_USER"), ev("DELETE_POST"), ev("CREATE_USER"), ev("CREATE_POST")])).toEqual([
      [1, 2],
      [3, 4],
      [5, 6, 7],
      [8],
    ]);
    // Deletes alone, and duplicate slots, never cut.
    seq = 0;
    expect(cut([ev("DELETE_USER"), ev("UNFOLLOW_USER"), ev("FOLLOW_USER", { duplicateOf: 1 }), ev("DELETE_POST")])).toEqual([[1, 2, 3, 4]]);
  });
});
