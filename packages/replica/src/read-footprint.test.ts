import { describe, expect, test } from "bun:test";
import { exampleRegistry, tokenizeCypher } from "@kuzu-sync/protocol";
import { entityAccesses } from "./footprint.ts";
import { namedTables, readFootprint } from "./read-footprint.ts";
import { readSchemaTables } from "./schema-tables.ts";

const tables = readSchemaTables(exampleRegistry.toWire().schema);

/** What a query reads, as "TABLE" or "TABLE[key]" texts, sorted; null: anything. */
function reads(cypher: string, params: Record<string, unknown> = {}): string[] | null {
  const f = readFootprint(cypher, tables);
  if (f === null) return null;
  return [...new Set(entityAccesses(f, params).map((a) => (a.key === null ? a.table : `${a.table}[${a.key.replaceAll("\u0000", ",")}]`)))].sort();
}

describe("readFootprint", () => {
  test("simple shapes are read by key, as templates are", () => {
    expect(reads("MATCH (u:User {id: $id}) RETURN u.name AS name", { id: "u1" })).toEqual(["USER[u1]"]);
    expect(reads("MATCH (u:User) WHERE u.id = $id RETURN u.name", { id: "u2" })).toEqual(["USER[u2]"]);
    expect(reads("MATCH (c:Counter {id: 'c1'}) RETURN c.value")).toEqual(["COUNTER[c1]"]);
    expect(reads("MATCH (a:User {id: $a})-[:FOLLOWS]->(b:User {id: $b}) RETURN count(*) AS n", { a: "x", b: "y" })).toEqual(["FOLLOWS[USER,x,USER,y]", "USER[x]", "USER[y]"]);
  });

  test("whole tables when no key is given; endpoints without a label from the relationship's table", () => {
    expect(reads("MATCH (u:User) RETURN u.id AS id ORDER BY id LIMIT 10")).toEqual(["USER"]);
    expect(reads("MATCH (u:User) WHERE (u.name = 'a' OR u.id = 'b') RETURN u.id")).toEqual(["USER"]);
    expect(reads("MATCH (a:User)-[:FOLLOWS]->(b) RETURN b.id")).toEqual(["FOLLOWS", "USER"]);
    expect(reads("MATCH ()-[f:FOLLOWS]->() RETURN count(f) AS n")).toEqual(["FOLLOWS", "USER"]);
    expect(reads("MATCH (c:Counter) RETURN sum(c.value) AS total")).toEqual(["COUNTER"]);
  });

  test("what the precise analysis refuses falls back to the tables named", () => {
    expect(reads("MATCH (u:User) WHERE EXISTS { MATCH (u)-[:AUTHORED]->(:Post) } RETURN u.id")).toEqual(["AUTHORED", "POST", "USER"]);
    expect(reads("MATCH (u:User) RETURN u.id AS id UNION MATCH (p:Post) RETURN p.id AS id")).toEqual(["POST", "USER"]);
    expect(reads("MATCH (u:User) RETURN COUNT { MATCH (u)<-[:FOLLOWS]-(:User) } AS followers")).toEqual(["FOLLOWS", "USER"]);
  });

  test("anything, when a pattern could reach any table", () => {
    expect(reads("MATCH (n) RETURN count(n)")).toBeNull();
    expect(reads("MATCH (a:User)-[]->(b:User) RETURN a.id")).toBeNull();
    expect(reads("MATCH (a:User)-->(b:User) RETURN a.id")).toBeNull();
    expect(reads("MATCH (a:User)-[*1..2]->(b:User) RETURN a.id")).toBeNull();
    expect(reads("CALL show_tables() RETURN *")).toBeNull();
    expect(reads("MATCH (m:KuzuSyncMeta) RETURN m.seq")).toBeNull(); // not a table of the registry's schema
    expect(reads("MATCH (u:User) WITH u MATCH (u) RETURN u.id")).toBeNull();
    expect(reads("MATCH (u:User) RETURN 'a\\q'")).toBeNull(); // cannot be tokenized (an escape Kuzu does not lex)
  });

  test("a query that names no table reads nothing", () => {
    expect(reads("RETURN 1 AS one")).toEqual([]);
  });

  test("function calls and map literals are not node patterns", () => {
    const named = (cypher: string) => {
      const lexed = tokenizeCypher(cypher);
      if (!lexed.ok) throw new Error(lexed.message);
      const t = namedTables(lexed.tokens, tables);
      return t === null ? null : [...t].sort();
    };
    expect(named("MATCH (u:User {id: 'a'}) RETURN lower(u.name), count(u), {k: u.id}")).toEqual(["USER"]);
    expect(named("MATCH (p:Post) RETURN size(p.content) AS n, p.content[1:3] AS s")).toEqual(["POST"]);
  });
});
