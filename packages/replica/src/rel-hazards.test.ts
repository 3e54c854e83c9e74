import { describe, expect, test } from "bun:test";
import { statementsOf, exampleRegistry, type SequencedEvent } from "@kuzu-sync/protocol";
import { deriveFootprint } from "./footprint.ts";
import { cutAtRelHazards, relEffects, type RelEffects } from "./rel-hazards.ts";
import { readSchemaTables } from "./schema-tables.ts";

const wire = exampleRegistry.toWire();
const tables = readSchemaTables(wire.schema);
const templates = new Map(
  wire.templates.map((t) => {
    const footprint = deriveFootprint(statementsOf(t.cypher), tables);
    const rels = relEffects([...statementsOf(t.cypher), ...(t.batch ? statementsOf(t.batch.cypher) : [])], tables);
    return [t.name, { rels, accesses: footprint.known ? footprint.accesses : null }] as const;
  }),
);
const sorted = (fx: RelEffects | undefined) => ({ merges: [...(fx?.merges ?? [])].sort(), inserts: [...(fx?.inserts ?? [])].sort(), deletes: [...(fx?.deletes ?? [])].sort() });

describe("relEffects", () => {
  test("the example templates: MERGE/CREATE and DELETE of the tables they name; DETACH DELETE of every table touching the node", () => {
    const fx = (name: string) => sorted(templates.get(name)?.rels);
    expect(fx("FOLLOW_USER")).toEqual({ merges: ["FOLLOWS"], inserts: ["FOLLOWS"], deletes: [] });
    expect(fx("UNFOLLOW_USER")).toEqual({ merges: [], inserts: [], deletes: ["FOLLOWS"] });
    expect(fx("CREATE_POST")).toEqual({ merges: ["AUTHORED"], inserts: ["AUTHORED"], deletes: [] });
    expect(fx("DELETE_USER")).toEqual({ merges: [], inserts: [], deletes: ["AUTHORED", "FOLLOWS"] });
    expect(fx("DELETE_POST")).toEqual({ merges: [], inserts: [], deletes: ["AUTHORED"] });
    expect(fx("CREATE_USER")).toEqual({ merges: [], inserts: [], deletes: [] });
  });

  test("only the patterns of MERGE and CREATE insert; DELETE deletes the type of its variable; ON CREATE is no CREATE", () => {
    const chat = readSchemaTables([
      "CREATE NODE TABLE U(id STRING, PRIMARY KEY(id))",
      "CREATE NODE TABLE C(id STRING, PRIMARY KEY(id))",
      "CREATE NODE TABLE M(id STRING, PRIMARY KEY(id))",
      "CREATE REL TABLE MEMBER(FROM U TO C, role STRING)",
      "CREATE REL TABLE POSTED(FROM U TO M)",
    ]);
    const fx = (statement: string) => sorted(relEffects([statement], chat));
    expect(fx("MATCH (u:U {id: $u})-[:MEMBER]->(c:C {id: $c}) CREATE (u)-[:POSTED]->(:M {id: $id})")).toEqual({ merges: [], inserts: ["POSTED"], deletes: [] });
    expect(fx("MATCH (u:U {id: $u})-[m:MEMBER]->(c:C {id: $c}) DELETE m")).toEqual({ merges: [], inserts: [], deletes: ["MEMBER"] });
    expect(fx("MATCH (u:U {id: $u}), (c:C {id: $c}) MERGE (u)-[m:MEMBER]->(c) ON CREATE SET m.role = 'x' ON MATCH SET m.role = 'y'")).toEqual({
      merges: ["MEMBER"],
      inserts: ["MEMBER"],
      deletes: [],
    });
    expect(fx("MATCH (m:M {id: $id}) DETACH DELETE m")).toEqual({ merges: [], inserts: [], deletes: ["POSTED"] });
    // A variable it cannot place: anything.
    expect(fx("MATCH (x {id: $id}) DETACH DELETE x").deletes).toEqual(["MEMBER", "POSTED"]);
  });

  test("text it cannot read, or an unknown schema, may do anything", () => {
    const all = ["AUTHORED", "FOLLOWS"];
    expect(sorted(relEffects(["MATCH (u:User) RETURN 'é'é"], tables))).toEqual({ merges: all, inserts: all, deletes: all });
  });
});

describe("cutAtRelHazards", () => {
  let seq = 0;
  const ev = (template: string, extra: Partial<SequencedEvent> = {}): SequencedEvent => ({ id: `e${++seq}`, template, params: {}, clientId: "c", timestamp: 0, seq, serverTimestamp: 0, ...extra });
  const cut = (events: SequencedEvent[]) => cutAtRelHazards(events, (e) => templates.get(e.template)?.rels ?? null).map((run) => run.map((e) => e.seq));

  test("one run while no table is both inserted into and deleted from; a cut before the event that would mix them", () => {
    seq = 0;
    expect(cut([ev("FOLLOW_USER"), ev("CREATE_POST"), ev("CREATE_USER"), ev("FOLLOW_USER")])).toEqual([[1, 2, 3, 4]]);
    seq = 0;
    expect(cut([ev("FOLLOW_USER"), ev("FOLLOW_USER"), ev("UNFOLLOW_USER"), ev("UNFOLLOW_USER"), ev("FOLLOW_USER"), ev("DELETE_POST"), ev("CREATE_USER"), ev("CREATE_POST")])).toEqual([
      [1, 2],
      [3, 4],
      [5, 6, 7],
      [8],
    ]);
    // Deletes alone, and duplicate slots, never cut; neither do inserts into another table.
    seq = 0;
    expect(cut([ev("DELETE_USER"), ev("UNFOLLOW_USER"), ev("FOLLOW_USER", { duplicateOf: 1 }), ev("DELETE_POST")])).toEqual([[1, 2, 3, 4]]);
    seq = 0;
    expect(cut([ev("CREATE_POST"), ev("UNFOLLOW_USER"), ev("CREATE_POST")])).toEqual([[1, 2, 3]]);
  });
});
