import { describe, expect, test } from "bun:test";
import { statementsOf, exampleRegistry } from "@kuzu-sync/protocol";
import { deriveFootprint, entityAccesses, type Footprint } from "./footprint.ts";
import { readSchemaTables } from "./schema-tables.ts";

const example = exampleRegistry.toWire();
const tables = readSchemaTables(example.schema);
const p = (param: string) => ({ param });

function accesses(cypher: string | readonly string[], t = tables) {
  const f = deriveFootprint(typeof cypher === "string" ? [cypher] : cypher, t);
  if (!f.known) throw new Error(`unknown: ${f.reason}`);
  return f.accesses;
}

function reason(cypher: string, t = tables): string {
  const f: Footprint = deriveFootprint([cypher], t);
  if (f.known) throw new Error(`derived ${JSON.stringify(f.accesses)} for ${cypher}`);
  return f.reason;
}

describe("deriveFootprint", () => {
  test("every example template: what it reads and writes, by key", () => {
    const byName = Object.fromEntries(example.templates.map((t) => [t.name, accesses(statementsOf(t.cypher))]));
    const userWrite = [{ write: true, table: "USER", key: [p("id")] }];
    expect(byName["CREATE_USER"]).toEqual(userWrite);
    expect(byName["UPDATE_USER"]).toEqual(userWrite);
    expect(byName["DELETE_USER"]).toEqual(userWrite);
    const follow = [
      { write: false, table: "USER", key: [p("followerId")] },
      { write: false, table: "USER", key: [p("targetId")] },
      { write: true, table: "FOLLOWS", key: ["USER", p("followerId"), "USER", p("targetId")] },
    ];
    expect(byName["FOLLOW_USER"]).toEqual(follow);
    expect(byName["UNFOLLOW_USER"]).toEqual(follow);
    expect(byName["CREATE_POST"]).toEqual([
      { write: true, table: "POST", key: [p("id")] },
      { write: false, table: "USER", key: [p("authorId")] },
      { write: true, table: "AUTHORED", key: ["USER", p("authorId"), "POST", p("id")] },
    ]);
    expect(byName["DELETE_POST"]).toEqual([{ write: true, table: "POST", key: [p("id")] }]);
    expect(byName["INCREMENT_COUNTER"]).toEqual([{ write: true, table: "COUNTER", key: [p("counterId")] }]);
  });

  test("a key given in a plain WHERE conjunction, through WITH aliases, or as a literal", () => {
    expect(accesses("MATCH (a:User), (p:Post) WHERE a.id = $authorId AND p.id = $id AND a.name <> 'x' MERGE (a)-[:AUTHORED]->(p)")).toEqual([
      { write: false, table: "USER", key: [p("authorId")] },
      { write: false, table: "POST", key: [p("id")] },
      { write: true, table: "AUTHORED", key: ["USER", p("authorId"), "POST", p("id")] },
    ]);
    expect(accesses("WITH $id AS k MATCH (u:User {id: k}) SET u.name = 'x'")).toEqual([{ write: true, table: "USER", key: [p("id")] }]);
    expect(accesses("MERGE (c:Counter {id: 'global'}) ON CREATE SET c.value = 1 ON MATCH SET c.value = c.value + 1")).toEqual([
      { write: true, table: "COUNTER", key: ["global"] },
    ]);
    // An OR anywhere outside brackets: no key can be taken from the WHERE.
    expect(accesses("MATCH (a:User) WHERE a.id = $id OR a.name = $name SET a.email = 'x'")).toEqual([{ write: true, table: "USER", key: null }]);
  });

  test("whatever is not found by key is a whole table", () => {
    expect(accesses("MATCH (u:User) WHERE u.name = $name SET u.email = $email")).toEqual([{ write: true, table: "USER", key: null }]);
    expect(accesses("UNWIND $ids AS k MATCH (u:User {id: k}) DETACH DELETE u")).toEqual([{ write: true, table: "USER", key: null }]);
    expect(accesses("MATCH (a:User {id: $id})-[f:FOLLOWS]->(b:User) DELETE f")).toEqual([
      { write: false, table: "USER", key: [p("id")] },
      { write: false, table: "USER", key: null },
      { write: true, table: "FOLLOWS", key: null },
    ]);
    // A node without a label takes it from a relationship table with one FROM/TO pair.
    expect(accesses("MATCH (a:User {id: $id})-[:AUTHORED]->(q) SET q.content = ''")).toEqual([
      { write: false, table: "USER", key: [p("id")] },
      { write: true, table: "POST", key: null },
      { write: false, table: "AUTHORED", key: null },
    ]);
  });

  test("undirected relationships count both ways; one-per-endpoint tables are keyed by that endpoint", () => {
    expect(accesses("MATCH (a:User {id: $a})-[f:FOLLOWS]-(b:User {id: $b}) DELETE f")).toEqual([
      { write: false, table: "USER", key: [p("a")] },
      { write: false, table: "USER", key: [p("b")] },
      { write: true, table: "FOLLOWS", key: ["USER", p("a"), "USER", p("b")] },
      { write: true, table: "FOLLOWS", key: ["USER", p("b"), "USER", p("a")] },
    ]);
    const t = readSchemaTables([
      "CREATE NODE TABLE Person(id INT64 PRIMARY KEY, name STRING)",
      "CREATE NODE TABLE City(name STRING, PRIMARY KEY (name))",
      "CREATE REL TABLE LivesIn(FROM Person TO City, since INT64, MANY_ONE)",
    ]);
    expect(accesses("MATCH (p:Person {id: $id}), (c:City {name: $city}) CREATE (p)-[:LivesIn {since: 2020}]->(c)", t)).toEqual([
      { write: false, table: "PERSON", key: [p("id")] },
      { write: false, table: "CITY", key: [p("city")] },
      { write: true, table: "LIVESIN", key: ["out", "PERSON", p("id")] },
    ]);
  });

  test("statement lists: the union of their footprints", () => {
    expect(
      accesses([
        "OPTIONAL MATCH (p:Post {id: $id}) WITH p WHERE p IS NULL CREATE (q:Post {id: $id, authorId: $authorId})",
        "MATCH (u:User {id: $authorId}), (q:Post {id: $id}) MERGE (u)-[:AUTHORED]->(q)",
      ]),
    ).toEqual([
      { write: true, table: "POST", key: [p("id")] },
      { write: false, table: "USER", key: [p("authorId")] },
      { write: true, table: "AUTHORED", key: ["USER", p("authorId"), "POST", p("id")] },
    ]);
  });

  test("anything it does not understand is unknown (a barrier), with the reason", () => {
    expect(reason("CALL show_tables() RETURN *")).toMatch(/CALL/);
    expect(reason("MATCH (u:User {id: $id}) WHERE EXISTS { MATCH (u)-[:FOLLOWS]->() } SET u.name = 'x'")).toMatch(/EXISTS/);
    expect(reason("MATCH (u:User {id: $id}) WHERE COUNT { MATCH (u)-[:FOLLOWS]->(:User) } > 1 SET u.name = 'x'")).toMatch(/COUNT/);
    expect(reason("MATCH (a:User {id: $id}), (b:User) WHERE (a)-[:FOLLOWS]->(b) SET b.name = 'x'")).toMatch(/pattern/);
    expect(reason("MATCH (a:User {id: $id})-[:FOLLOWS*1..3]->(b:User) SET b.name = 'x'")).toMatch(/variable-length/);
    expect(reason("MATCH (n {id: $id}) DELETE n")).toMatch(/label/);
    expect(reason("MATCH (a:User {id: $id})-[f]->(b:User) DELETE f")).toMatch(/type/);
    expect(reason("MATCH (n:Nope {id: $id}) DELETE n")).toMatch(/NOPE/);
    expect(reason("CREATE (u:User {name: $name})")).toMatch(/primary key/);
    expect(reason("MATCH (a:User {id: $x}), (A:User) SET A.name = 'x'")).toMatch(/case/);
    expect(reason("MATCH (u:User {id: $id}) FOREACH (x IN [1] | SET u.name = 'x')")).toMatch(/FOREACH/);
    const serial = readSchemaTables(["CREATE NODE TABLE Item(id SERIAL, name STRING, PRIMARY KEY(id))"]);
    expect(reason("CREATE (:Item {name: $name})", serial)).toMatch(/order/);
    const odd = readSchemaTables(["CREATE NODE TABLE A(id STRING, PRIMARY KEY(id))", "ALTER TABLE A RENAME TO B"]);
    expect(odd.unknown).toMatch(/ALTER/);
    expect(reason("MATCH (a:A {id: $id}) DELETE a", odd)).toMatch(/ALTER/);
  });

  test("entityAccesses fills keys from an event's parameters; 1 and '1' are the same key", () => {
    const f = accesses(statementsOf(example.templates.find((t) => t.name === "FOLLOW_USER")!.cypher));
    expect(entityAccesses(f, { followerId: "a", targetId: 1 })).toEqual([
      { write: false, table: "USER", key: "a" },
      { write: false, table: "USER", key: "1" },
      { write: true, table: "FOLLOWS", key: "USER\u0000a\u0000USER\u00001" },
    ]);
    expect(entityAccesses(f, { followerId: "a", targetId: "1" })[1]).toEqual({ write: false, table: "USER", key: "1" });
  });
});
