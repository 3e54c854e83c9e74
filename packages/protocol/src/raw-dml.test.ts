import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import kuzu from "kuzu";
import { RawDmlLimits, checkRawDml } from "./raw-dml.ts";

/**
 * Realistic writes against User(id STRING PK, name STRING) and FOLLOWS(User->User). They run in
 * order against a real Kuzu below, so each one builds on the ones before it.
 */
const ALLOWED: readonly { readonly cypher: string; readonly params?: Record<string, unknown> }[] = [
  { cypher: "CREATE (u:User {id: 'u1', name: 'Ann'})" },
  { cypher: `CREATE (:User {id: 'u2', name: "Bob"}), (:User {id: 'u3', name: 'Cy'})` },
  { cypher: "MERGE (u:User {id: 'u4'}) ON CREATE SET u.name = 'Dee' ON MATCH SET u.name = upper(u.name)" },
  { cypher: "merge (u:User {id: 'u4'}) on create set u.name = 'Dee' on match set u.name = upper(u.name) return u.name" },
  { cypher: "MATCH (u:User {id: 'u1'}) SET u.name = 'Ann B.'" },
  { cypher: "MATCH (a:User {id: 'u1'}), (b:User {id: 'u2'}) CREATE (a)-[:FOLLOWS]->(b)" },
  { cypher: "MATCH (a:User {id: 'u2'}), (b:User {id: 'u1'}) MERGE (a)-[f:FOLLOWS]->(b) RETURN count(f) AS n" },
  { cypher: "UNWIND [{id: 'u5', name: 'Eve'}, {id: 'u6', name: 'Fay'}] AS row MERGE (u:User {id: row.id}) SET u.name = row.name" },
  { cypher: "MATCH (u:User) WHERE u.name STARTS WITH 'A' AND NOT u.id IN ['u9'] SET u.name = u.name + '!' RETURN u.id, u.name ORDER BY u.id" },
  { cypher: "MATCH (u:User) WHERE u.name IS NULL SET u.name = 'anonymous'" },
  { cypher: "OPTIONAL MATCH (u:User {id: 'nobody'}) RETURN u.name IS NULL AS missing" },
  { cypher: "MATCH (u:User {id: 'u3'}) SET u.name = CASE WHEN size(u.name) > 2 THEN lower(u.name) ELSE 'short' END" },
  { cypher: String.raw`MATCH (u:User {id: 'u5'}) SET u.name = 'LOAD FROM \'/etc/passwd\'; CALL show_tables() // not code'` },
  { cypher: `CREATE (:User {id: 'u7', name: "COPY User FROM 'x' /* nope */ ATTACH 'db' (dbtype kuzu)"})` },
  { cypher: "MATCH (u:User {id: 'u6'}) SET u.`name` = 'DROP TABLE User; BEGIN TRANSACTION; INSTALL httpfs'" },
  { cypher: "MATCH (u:`User` {`id`: 'u7'}) SET u.name = concat('now() ', 'rand() ', 'gen_random_uuid()')" },
  { cypher: "MATCH (a:User)-[f:FOLLOWS]->(b:User {id: 'u2'}) DELETE f" },
  { cypher: "MATCH (u:User {id: 'u6'}) DETACH DELETE u" },
  { cypher: "MATCH (u:User) WITH u ORDER BY u.id LIMIT 2 SET u.name = trim(u.name) RETURN u.id AS id" },
  { cypher: "MATCH (u:User) WITH count(*) AS n MERGE (s:User {id: 'stats'}) SET s.name = to_string(n)" },
  { cypher: "MATCH (a:User)-[:FOLLOWS*1..2]->(b:User) WHERE a.id = 'u2' RETURN DISTINCT b.id AS reached" },
  { cypher: "MATCH (u:User {id: 'u1'}) SET u.name = coalesce(u.name, '') + ' ' + substring('xyz', 1, 2) // trailing comment" },
  { cypher: `/* leading comment */ MATCH (u:User {id: 'u2'}) SET u.name = "Bob \\"the\\" builder\\\\" ;` },
  { cypher: "CREATE (u:User {id: 'u8', name: 'Zoë 🚀 مرحبا\n第二行'}) RETURN u.name" },
  { cypher: "MATCH (u:User {id: $id}) SET u.name = $name", params: { id: "u8", name: "from a parameter" } },
  { cypher: "MATCH (a:User {id: 'u1'}), (b:User {id: 'u3'}) MERGE (a)-[:FOLLOWS]->(b) WITH a, b MATCH (b)<-[:FOLLOWS]-(x:User) RETURN x.id AS follower ORDER BY follower" },
  { cypher: "MATCH (u:User) WHERE regexp_matches(u.id, '^u[0-9]+$') AND (u.name CONTAINS 'a' OR u.name ENDS WITH 'y') RETURN u.id, CAST(size(u.name) AS STRING) AS len SKIP 0 LIMIT 10" },
  { cypher: "MATCH p = (a:User)-[:FOLLOWS]->(b:User) WITH a, count(p) AS out SET a.name = a.name + ' (' + CAST(out AS STRING) + ')'" },
  { cypher: "UNWIND range(1, 3) AS i MERGE (u:User {id: 'bulk' + CAST(i AS STRING)}) SET u.name = list_element(['x', 'y', 'z'], i)" },
  { cypher: "MATCH (u:User) WHERE u.id IN ['bulk1', 'bulk2'] AND u.name <> 'q' AND -1 < 0 SET u.name = lpad(u.name, 3, '.') RETURN u.name ORDER BY u.name DESC" },
  { cypher: "MATCH (u:User {id: 'bulk3'})\nSET u.name = 'multi\nline'\nRETURN u.name;\n// done" },
];

/** What each hostile statement must be refused for: a keyword or character the message names. */
const HOSTILE: readonly (readonly [cypher: string, named: string])[] = [
  // files, network, native code
  ["LOAD FROM '/etc/passwd' RETURN *", "LOAD"],
  [`load from "http://evil.example/x.csv" return *`, "LOAD"],
  ["LoAd FrOm 'x.parquet' RETURN *", `written "LoAd"`],
  ["LOAD WITH HEADERS (a STRING) FROM 'x.csv' RETURN *", "LOAD"],
  ["LOAD EXTENSION '/tmp/evil.so'", "LOAD"],
  ["load extension httpfs", "LOAD"],
  ["INSTALL httpfs", "INSTALL"],
  ["FORCE INSTALL json FROM 'http://evil.example/'", "FORCE"],
  ["UNINSTALL json", "UNINSTALL"],
  ["UPDATE json", "UPDATE"],
  ["COPY User FROM '/tmp/users.csv'", "COPY"],
  ["COPY (MATCH (u:User) RETURN u.*) TO '/tmp/out.csv'", "COPY"],
  ["ATTACH '/tmp/other.kuzu' AS other (dbtype kuzu)", "ATTACH"],
  ["DETACH other", "DETACH"],
  ["MATCH (u:User) DETACH u", "DETACH"],
  ["USE other", "USE"],
  ["IMPORT DATABASE '/tmp/dump'", "IMPORT"],
  ["EXPORT DATABASE '/tmp/dump' (format='csv')", "EXPORT"],
  // CALL anywhere
  ["CALL show_tables() RETURN *", "CALL"],
  ["call threads = 1", "CALL"],
  ["MATCH (u:User) CALL show_tables() RETURN *", "CALL"],
  ["MATCH (u:User) WITH u CALL table_info('User') YIELD name RETURN name", "CALL"],
  ["MATCH (u:User) SET u.name = CASE WHEN u.id = 'a' THEN (CALL x()) ELSE 'b' END", "CALL"],
  ["MATCH (u:User) SET u.name = [x IN [CALL] | x]", "CALL"],
  ["MATCH (u:User) WHERE EXISTS { MATCH (u)-[:FOLLOWS]->() } SET u.name = 'x'", "EXISTS"],
  ["MATCH (u:User) WHERE exists { MATCH (u)-->() CALL x() } SET u.name = 'x'", "EXISTS"],
  ["MATCH (u:User) WITH u, COUNT { MATCH (u)-->() } AS c SET u.name = 'x'", "COUNT {"],
  // DDL and administration
  ["CREATE NODE TABLE Evil(id STRING, PRIMARY KEY(id))", "CREATE NODE"],
  ["CREATE REL TABLE E(FROM User TO User)", "CREATE REL"],
  ["create rel table group G(FROM User TO User)", "CREATE rel"],
  ["DROP TABLE User", "DROP"],
  ["ALTER TABLE User ADD age INT64", "ALTER"],
  ["CREATE MACRO evil(x) AS x", "MACRO"],
  ["CREATE SEQUENCE s", "SEQUENCE"],
  ["CREATE TYPE T AS STRING", "CREATE TYPE"],
  ["CREATE USER bob", "CREATE USER"],
  ["COMMENT ON TABLE User IS 'x'", "COMMENT"],
  ["BEGIN TRANSACTION", "BEGIN"],
  ["COMMIT", "COMMIT"],
  ["ROLLBACK", "ROLLBACK"],
  ["CHECKPOINT", "CHECKPOINT"],
  ["EXPLAIN MATCH (u:User) RETURN u", "EXPLAIN"],
  ["PROFILE MATCH (u:User) RETURN u", "PROFILE"],
  ["MATCH (u:User) HINT u RETURN u", "HINT"],
  ["MATCH (u:User) RETURN u UNION MATCH (v:User) RETURN v", "UNION"],
  // more than one statement
  ["MATCH (u:User) RETURN u; DROP TABLE User", "DROP"],
  ["MATCH (u:User) SET u.name = 'x'; MATCH (v) DETACH DELETE v", "after ';'"],
  ["RETURN 1 ; /* c */ RETURN 2", "after ';'"],
  ["RETURN 1;\nMATCH (u:User) DELETE u", "after ';'"],
  ["RETURN 1;;", "after ';'"],
  // nondeterminism
  ["MATCH (u:User) SET u.name = string(now())", "NOW"],
  ["MATCH (u:User) SET u.name = to_string(current_timestamp())", "CURRENT_TIMESTAMP"],
  ["MATCH (u:User) SET u.name = CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"],
  ["MATCH (u:User) SET u.name = string(current_date())", "CURRENT_DATE"],
  ["CREATE (:User {id: gen_random_uuid()})", "GEN_RANDOM_UUID"],
  ["CREATE (:User {id: string(RAND())})", "RAND"],
  ["MATCH (u:User) SET u.name = string(nextval('s'))", "NEXTVAL"],
  ["CREATE (:User {id: `gen_random_uuid`()})", "gen_random_uuid"],
  ["MATCH (u:User) SET u.name = list_to_string(',', collect(u.id))", "collect"],
  ["MATCH (u:User) SET u.name = string(id(u))", "id"],
  ["MATCH (u:User) SET u.name = string(list_transform([1], x -> x))", "list_transform"],
  ["MATCH (u:User) WHERE ALL(x IN [1] WHERE x = 1) SET u.name = 'x'", "ALL"],
  ["MERGE (u:User {id: 'a'}) ON CREATE SET u.name = string(now())", "NOW"],
  ["RETURN some_macro(1)", "some_macro"],
  // hidden by comments, case, strings that are not what they seem
  ["LO/**/AD FROM 'x' RETURN *", "LO"],
  ["/* harmless */ LOAD FROM 'x' RETURN *", "LOAD"],
  ["// comment\nLOAD FROM 'x' RETURN *", "LOAD"],
  ["MATCH (n:User) /** x **/ SET n.name = '*/ CALL evil() //' RETURN n", "even run of '*'"],
  ["MATCH (n:User) /***/ SET n.name = '*/ CALL evil() //'", "even run of '*'"],
  ["RETURN 1 // x\r CALL show_tables() RETURN *", "carriage return"],
  ["MATCH (u:User) RETURN u /* */ */ CALL x()", "CALL"],
  ["MATCH (u:User) SET u.name = '\\\\' CALL x() //'", "CALL"],
  [`MATCH (u:User) SET u.name = "abc\\" CALL x() //`, "unterminated string"],
  ["MATCH (u:User) SET u.name = 'abc", "unterminated string"],
  ["MATCH (u:User) SET u.name = 'a\\q' CALL x() RETURN 'x'", "escape \\q"],
  ["MATCH (u:User) SET u.name = 'a\\x41'", "escape \\x"],
  ["MATCH (u:User) SET u.name = 'a\\u12'", "escape \\u"],
  ["MATCH (u:`User) RETURN u", "unterminated `name`"],
  ["RETURN `` AS x", "empty"],
  ["MATCH (u:User) /* unterminated LOAD FROM 'x'", "unterminated /*"],
  // unicode tricks
  ["ＬＯＡＤ FROM 'x' RETURN *", "U+FF2C"],
  ["MATCH\u00a0(u:User) RETURN u", "U+00A0"],
  ["MATCH (u:User) RETURN u\u200b", "U+200B"],
  ["MATCH (u:User) RETURN u;\u2028CALL x()", "U+2028"],
  ["M\u0410TCH (u:User) RETURN u", "U+0410"],
  ["\ufeffMATCH (u:User) RETURN u", "U+FEFF"],
  ["MATCH (u:User) SET u.name = 'x' RETURN u LİMİT 1", "U+0130"],
  ["MATCH (a:User)\u3008-[:FOLLOWS]-(b:User) RETURN a", "U+3008"],
  ["MATCH (a:User)\u2014[:FOLLOWS]\u2014(b:User) RETURN a", "U+2014"],
  ["CREATE (u:User {id: 'a'})\u0000", "U+0000"],
  ["CREATE (u:User {id: 'a'})\u001c", "U+001C"],
  ["C\u200bALL show_tables() RETURN *", "U+200B"],
  // forbidden words in name positions, and other shapes
  ["MATCH (u:User) RETURN u.name AS load", "LOAD"],
  ["MATCH (u:User) SET u.copy = 1", "COPY"],
  ["MATCH (call:User) RETURN call", "CALL"],
  ["MATCH (u:User) RETURN 1 COPY", "COPY"],
  ["LOAD$ FROM 'x' RETURN *", "LOAD$"],
  ["RETURN 1 AS x ORDER BY x SKIP 1 LIMIT 1 MATCH (u) DELETE u", "RETURN must be the last clause"],
  ["MATCH (a)<-[r:FOLLOWS]->(b) DELETE r", "arrow head"],
  ["MATCH p = (a:User)-[* SHORTEST 1..3]->(b:User) RETURN p", "SHORTEST"],
  ["MATCH (u:User) SET u.name = 1 != 2", "'!='"],
  ["", "empty statement"],
  ["   \n\t ", "empty statement"],
  ["/* only a comment */", "empty statement"],
  [";", "empty statement"],
  [`RETURN ${"(".repeat(200)}1${")".repeat(200)}`, "nested more than"],
  [`RETURN ${"[".repeat(200)}1${"]".repeat(200)}`, "nested more than"],
  [`CREATE (:User {id: '${"x".repeat(RawDmlLimits.maxLength)}'})`, "longer than"],
];

describe("checkRawDml", () => {
  test.each(ALLOWED.map((a) => [a.cypher]))("allows %p", (cypher) => {
    const r = checkRawDml(cypher);
    expect(r).toMatchObject({ ok: true });
  });

  test.each(HOSTILE.map(([cypher, named]) => [cypher.length > 120 ? `${cypher.slice(0, 120)}…` : cypher, cypher, named]))(
    "refuses %p",
    (_label, cypher, named) => {
      const r = checkRawDml(cypher);
      if (r.ok) throw new Error(`accepted: ${cypher}`);
      expect(r.code).toBe("RAW_DML_FORBIDDEN");
      expect(r.message).toContain(named);
      expect(r.offset).toBeGreaterThanOrEqual(0);
      expect(r.offset).toBeLessThanOrEqual(cypher.length);
    },
  );

  test("the corpora are as large as promised", () => {
    expect(ALLOWED.length).toBeGreaterThanOrEqual(20);
    expect(HOSTILE.length).toBeGreaterThanOrEqual(60);
  });

  test("reports the clauses and where the offending keyword is", () => {
    expect(checkRawDml("MATCH (u:User) WHERE u.id = 'a' SET u.name = 'b' RETURN u")).toEqual({ ok: true, clauses: ["MATCH", "WHERE", "SET", "RETURN"] });
    expect(checkRawDml("MERGE (u:User {id: 'a'}) ON MATCH SET u.name = 'b' ON CREATE SET u.name = 'c'")).toEqual({
      ok: true,
      clauses: ["MERGE", "ON MATCH SET", "ON CREATE SET"],
    });
    expect(checkRawDml("MATCH (u:User) DETACH DELETE u")).toEqual({ ok: true, clauses: ["MATCH", "DETACH DELETE"] });
    const r = checkRawDml("MATCH (u:User)\n  WITH u\n  cAlL x()");
    expect(r).toMatchObject({ ok: false, offset: 26 });
    if (!r.ok) expect(r.message).toBe(`CALL (written "cAlL") is not allowed in raw DML: CALL runs table functions and changes settings (at line 3, column 3)`);
  });

  test("never throws on input that is not a string", () => {
    expect(checkRawDml(undefined as unknown as string)).toMatchObject({ ok: false });
    expect(checkRawDml({ toString: () => "RETURN 1" } as unknown as string)).toMatchObject({ ok: false });
  });
});

describe("against a real Kuzu 0.11 (in memory)", () => {
  type Connection = InstanceType<typeof kuzu.Connection>;
  let db: InstanceType<typeof kuzu.Database>;
  let conn: Connection;

  beforeAll(async () => {
    db = new kuzu.Database(":memory:");
    conn = new kuzu.Connection(db);
    await run("CREATE NODE TABLE User(id STRING PRIMARY KEY, name STRING)");
    await run("CREATE REL TABLE FOLLOWS(FROM User TO User)");
  });

  afterAll(async () => {
    await conn?.close();
    await db?.close();
  });

  /** Runs one statement and closes every QueryResult, even on failure (Bun crashes at exit otherwise). */
  async function run(cypher: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    let result: Awaited<ReturnType<Connection["query"]>>;
    if (params === undefined) {
      result = await conn.query(cypher);
    } else {
      const prepared = await conn.prepare(cypher);
      if (!prepared.isSuccess()) throw new Error(prepared.getErrorMessage());
      result = await conn.execute(prepared, params as never);
    }
    const results = Array.isArray(result) ? result : [result];
    try {
      let rows: Record<string, unknown>[] = [];
      for (const r of results) rows = (await r.getAll()) as Record<string, unknown>[];
      return rows;
    } finally {
      for (const r of results) r.close();
    }
  }

  test.each(ALLOWED.map((a, i) => [i + 1, a.cypher, a.params]))("allowed statement %d runs: %p", async (_i, cypher, params) => {
    expect(checkRawDml(cypher).ok).toBe(true);
    await run(cypher, params);
  });

  test("strings holding forbidden words were stored verbatim, as data", async () => {
    const rows = await run("MATCH (u:User) WHERE u.id IN ['u5', 'u7', 'u8'] RETURN u.id AS id, u.name AS name ORDER BY id");
    expect(rows).toEqual([
      { id: "u5", name: "LOAD FROM '/etc/passwd'; CALL show_tables() // not code" },
      { id: "u7", name: "now() rand() gen_random_uuid()" },
      { id: "u8", name: "from a parameter" },
    ]);
  });

  test("REMOVE passes the gate but Kuzu 0.11 has no REMOVE clause", async () => {
    const cypher = "MATCH (u:User {id: 'u1'}) REMOVE u.name";
    expect(checkRawDml(cypher)).toEqual({ ok: true, clauses: ["MATCH", "REMOVE"] });
    await expect(run(cypher)).rejects.toThrow(/Parser exception/);
  });

  test("string escapes the checker accepts are ones Kuzu lexes, and the ones it refuses Kuzu refuses too", async () => {
    for (const escape of ["\\\\", "\\'", '\\"', "\\b", "\\B", "\\f", "\\n", "\\N", "\\r", "\\t", "\\T", "\\u0041", "\\U0001F600"]) {
      const cypher = `RETURN 'a${escape}z' AS s`;
      expect(checkRawDml(cypher).ok).toBe(true);
      expect(await run(cypher)).toHaveLength(1);
    }
    for (const escape of ["\\x41", "\\q", "\\u12", "\\uZZZZ", "\\0"]) {
      const cypher = `RETURN 'a${escape}z' AS s`;
      expect(checkRawDml(cypher).ok).toBe(false);
      await expect(run(cypher)).rejects.toThrow(/Parser exception/);
    }
  });

  test("why an even run of '*' is refused: Kuzu's comment does not end there", async () => {
    // Kuzu reads `/** x **/ + 1 /* */` as one comment, so this is `RETURN 1 AS v`.
    expect(await run("RETURN 1 /** x **/ + 1 /* */ AS v")).toEqual([{ v: 1 }]);
    expect(checkRawDml("RETURN 1 /** x **/ + 1 /* */ AS v").ok).toBe(false);
    // An odd run closes it, in both.
    expect(checkRawDml("RETURN 1 /* x ***/ + 1 AS v").ok).toBe(true);
    expect(await run("RETURN 1 /* x ***/ + 1 AS v")).toEqual([{ v: 2 }]);
  });

  test("a name may contain '$' in Kuzu, and the checker reads it the same way", async () => {
    expect(checkRawDml("UNWIND [7] AS a$b RETURN a$b AS v").ok).toBe(true);
    expect(await run("UNWIND [7] AS a$b RETURN a$b AS v")).toEqual([{ v: 7 }]);
  });
});
