/**
 * The raw DML gate against statements that harm the replicas themselves (issue 14): crashes and
 * hangs of Kuzu 0.11, writes to kuzu-sync's internal table, internal ids turned into data, and
 * unbounded work. Every refused statement below was run against Kuzu 0.11.3 in a scratch process
 * (never here: a segfault would kill the test runner); what it did is noted next to it. The
 * accepted variants are run here, against a real in-memory Kuzu, to show they are harmless.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import kuzu from "kuzu";
import { checkRawDml } from "./raw-dml.ts";
import { RAW_DML_FUNCTIONS, graphKindsFor } from "./raw-dml-functions.ts";

/** [statement, a fragment the refusal must contain] */
type Case = readonly [cypher: string, named: string];

const refusedFor = (cases: readonly Case[]) =>
  test.each(cases.map(([cypher, named]) => [cypher.length > 110 ? `${cypher.slice(0, 110)}…` : cypher, cypher, named]))("refuses %p", (_label, cypher, named) => {
    const r = checkRawDml(cypher);
    if (r.ok) throw new Error(`accepted: ${cypher}`);
    expect(r.code).toBe("RAW_DML_FORBIDDEN");
    expect(r.message.toLowerCase()).toContain(named.toLowerCase());
    expect(r.offset).toBeGreaterThanOrEqual(0);
    expect(r.offset).toBeLessThanOrEqual(cypher.length);
  });

const acceptedAll = (statements: readonly string[]) =>
  test.each(statements.map((s) => [s]))("allows %p", (cypher) => {
    expect(checkRawDml(cypher)).toMatchObject({ ok: true });
  });

// Finding 1: each of these segfaults Kuzu 0.11 (SIGSEGV), or never returns (hang), in the process
// that runs it: the gateway's server replica and every client, again on every replay.
const CRASHES: readonly Case[] = [
  ["RETURN size(repeat('x', 4294967296)) AS n", "REPEAT"], // SIGSEGV (length wraps at 2^32)
  ["RETURN size(repeat('xy', 2147483648)) AS n", "REPEAT"], // SIGSEGV
  ["RETURN size(repeat('x', -1)) AS n", "must be at least 0"], // never returns, memory grows
  ["RETURN repeat('x', - 1) AS n", "REPEAT is -1"],
  ["RETURN repeat('x', -(1)) AS n", "REPEAT is -1"],
  ["MATCH (u:User) RETURN repeat(u.name, u.n) AS n", "must be an integer literal"],
  ["MATCH (u:User) RETURN repeat(u.name, size(u.name)) AS n", "must be an integer literal"],
  ["RETURN size(lpad('x', 4294967296, 'y')) AS n", "LPAD"],
  ["RETURN size(rpad('x', 100000000, 'y')) AS n", "RPAD"], // 8 s in one uninterruptible call
  ["RETURN rpad('x', -5, 'y') AS n", "at least 0"],
  ["RETURN substring('hello', 2, -5) AS s", "negative length"], // SIGSEGV
  ["MATCH (u:User) RETURN substring(u.name, 1, size(u.name) - 2) AS s", "negative length"], // SIGSEGV on a 1-character name
  ["RETURN SUBSTR('hello', 1, -1) AS s", "SUBSTR"],
  ["RETURN regexp_extract('a', 'a', -1) AS s", "negative group"], // SIGSEGV
  ["RETURN regexp_extract_all('a', 'a', -1) AS s", "negative group"], // SIGSEGV
  ["RETURN factorial(100000000000) AS n", "FACTORIAL"], // never returns
  ["RETURN 100000000000! AS n", "factorial"],
  ["RETURN levenshtein(repeat('a', 20000), repeat('b', 20000)) AS n", "product"], // 1.7 s per call, quadratic
  ["RETURN list_has_all(range(1, 30000), range(1, 30000)) AS n", "product"],
  // A bare NULL (Kuzu type ANY) handed to these: SIGSEGV at prepare().
  ["RETURN start_node(null) AS s", "untyped NULL"],
  ["RETURN label(null) AS s", "untyped NULL"],
  ["RETURN keys(null) AS s", "untyped NULL"],
  ["RETURN map_keys(null) AS s", "untyped NULL"],
  ["RETURN map_values(null) AS s", "untyped NULL"],
  ["RETURN map(null, null) AS s", "untyped NULL"],
  ["RETURN struct_extract(null, 'a') AS s", "untyped NULL"],
  ["RETURN list_contains(null, null) AS s", "untyped NULL"],
  ["RETURN list_has(null, 1) AS s", "untyped NULL"],
  ["RETURN list_sum(null) AS s", "untyped NULL"],
  ["RETURN list_product(null) AS s", "untyped NULL"],
  ["RETURN element_at(null, null) AS s", "untyped NULL"],
  ["RETURN properties(null, 'x') AS s", "untyped NULL"],
  ["RETURN 1 IN null AS s", "untyped NULL"],
  ["RETURN null IN null AS s", "untyped NULL"],
  ["WITH null AS x RETURN label(x) AS s", "untyped NULL"],
  ["WITH NULL AS x RETURN map_keys(x) AS s", "untyped NULL"],
  ["RETURN map_keys(CASE WHEN true THEN null END) AS s", "untyped NULL"],
  // Graph functions handed something that is not a node/relationship/path: SIGSEGV.
  ["RETURN label({a: 1}) AS s", "LABEL takes a node or a relationship"],
  ["MATCH p = (u:User)-[r:FOLLOWS]->(v:User) RETURN label(nodes(p)[1]) AS s", "element of nodes()/rels()"],
  ["MATCH p = (u:User)-[r:FOLLOWS]->(v:User) RETURN label(rels(p)[1]) AS s", "element of nodes()/rels()"],
  ["MATCH p = (u:User)-[r:FOLLOWS*1..2]->(v:User) RETURN nodes(p)[1] = u AS s", "element of nodes()/rels()"],
  ["MATCH p = (u:User)-[r:FOLLOWS]->(v:User) UNWIND nodes(p) AS n RETURN label(n) AS s", "element of nodes()/rels()"],
  // A UUID value (a UUID property, uuid(), CAST(… AS UUID)) in these: SIGSEGV.
  ["MATCH (u:User) RETURN string_split(u.name, ',') AS s", "UUID"],
  ["MATCH (u:User) RETURN str_split(u.name, ',') AS s", "UUID"],
  ["MATCH (u:User) RETURN string_to_array(u.name, ',') AS s", "UUID"],
  ["MATCH (u:User) RETURN split_part(u.name, ',', 1) AS s", "UUID"],
  ["MATCH (u:User) RETURN regexp_replace(u.name, 'a', 'b') AS s", "UUID"],
  ["MATCH (u:User) RETURN regexp_full_match(u.name, 'a') AS s", "UUID"],
  ["MATCH (u:User) WHERE u.id =~ 'u.*' RETURN u.id AS s", "'=~'"],
  ["MATCH (u:User) RETURN u.name[1:3] AS s", "slicing"],
  ["MATCH (u:User) RETURN u.name[..3] AS s", "slicing"],
  ["MATCH (u:User) RETURN list_slice(u.name, 1, 2) AS s", "UUID"],
  ["MATCH (u:User) RETURN list_sort(u.tags, u.name) AS s", "string literal"],
  ["RETURN uuid('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11') AS s", "UUID"],
  ["RETURN CAST('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS UUID) AS s", "UUID"],
  ["RETURN `Uuid`('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11') AS s", "UUID"],
];

const SAFE_VARIANTS: readonly string[] = [
  "RETURN repeat('-', 80) AS line",
  "RETURN size(repeat('x', 100000)) AS n",
  "WITH 3 AS n RETURN repeat('ab', n) AS s",
  "RETURN lpad('7', 3, '0') AS a, rpad('7', 3, '0') AS b, lpad('x', 0, '') AS c",
  "RETURN substring('hello', 2, 3) AS s, substring('héllo', 9, 0) AS t",
  "MATCH (u:User) RETURN left(u.name, -9223372036854775807) AS a, right(u.name, 2) AS b",
  "RETURN regexp_extract('abc', '(b)', 1) AS s, regexp_matches('abc', '^a') AS m",
  "RETURN regexp_split_to_array('a,b', ',') AS s",
  "RETURN list_sort([3, 1, 2], 'DESC') AS s, list_reverse_sort([1, 2]) AS t",
  "RETURN CAST(NULL AS STRING) AS s, coalesce(CAST(NULL AS STRING), 'x') AS t",
  "OPTIONAL MATCH (u:User {id: 'nobody'})-[r:FOLLOWS]->(v:User) RETURN start_node(r).id AS s, label(r) AS l",
  "MATCH p = (u:User)-[:FOLLOWS*1..2]->(v:User) RETURN length(p) AS n, is_trail(p) AS t, properties(nodes(p), 'name') AS names",
  "MATCH (u:User) WHERE u.name IS NULL SET u.name = NULL",
];

// Finding 2: applied everywhere, after which saved replicas and the gateway refuse to start.
const INTERNAL: readonly Case[] = [
  ["MATCH (m:KuzuSyncMeta) SET m.hash = 'evil'", "internal table KuzuSyncMeta"],
  ["MATCH (m:KuzuSyncMeta) DETACH DELETE m", "internal table"],
  ["MATCH (m:kuzusyncmeta) SET m.seq = 0", "internal table"], // table names are case-insensitive in Kuzu
  ["MATCH (m:`KUZUSYNCMETA`) SET m.hash = 'evil'", "internal table"],
  ["MATCH (m:`KuzuSyncMeta`) RETURN m.hash AS h", "internal table"],
  ["MERGE (m:KuzuSyncMeta {k: 'state'}) SET m.seq = 999", "internal table"],
  ["CREATE (:KuzuSyncMeta {k: 'other', seq: 1, hash: 'x'})", "internal table"],
  ["MATCH (n:User) SET n.KuzuSyncMeta = 1", "internal table"],
  // An unlabeled node matches every node table, the internal one included.
  ["MATCH (n) SET n.hash = 'evil'", "without a label"],
  ["MATCH (n) WHERE n.k = 'state' SET n.seq = 0", "without a label"],
  ["MATCH (n) DETACH DELETE n", "without a label"],
  ["MATCH (n), (u:User) DETACH DELETE n", "without a label"],
  ["MATCH (x)-[*0..1]-(y) DETACH DELETE x", "without a label"], // zero hops: x can be any node
  ["MATCH (x)-[*0]-(y) DELETE y", "without a label"],
  ["MATCH (n) WITH n MATCH (n:User) SET n.name = 'x'", "without a label"],
  ["OPTIONAL MATCH (n) SET n.hash = 'x'", "without a label"],
];

const INTERNAL_SAFE: readonly string[] = [
  "MATCH (u:User)-[:FOLLOWS]->(v) SET v.name = 'followed'",
  "MATCH ()-[r:FOLLOWS]->() DELETE r",
  "MATCH (x)-[*1..2]-(y:User) RETURN count(*) AS n",
  "MATCH (u:User) WITH u MATCH (u) SET u.name = 'again'",
  "MATCH (n), (n:User) SET n.name = 'labelled in the same pattern'",
  "MATCH (u:User) SET u.name = 'KuzuSyncMeta is just text here'",
];

// Finding 3: Kuzu's internal ids (table:offset) become data; a replica built from a snapshot
// numbers nodes differently from one built by replay, so the replicas silently differ.
const INTERNAL_IDS: readonly Case[] = [
  ["MATCH (u:User) SET u.name = string(u)", "a node cannot be passed to STRING"],
  ["MATCH (u:User) SET u.name = to_string(u)", "a node cannot be passed to TO_STRING"],
  ["MATCH (u:User) SET u.name = CAST(u AS STRING)", "a node cannot be used in CAST"],
  ["MATCH (u:User)-[r:FOLLOWS]->(v:User) SET u.name = string(r)", "a relationship cannot be passed"],
  ["MATCH p = (u:User)-[:FOLLOWS]->(v:User) SET u.name = string(p)", "a path cannot be passed"],
  ["MATCH (u:User)-[r:FOLLOWS*1..3]->(v:User) SET u.name = string(r)", "a path cannot be passed"],
  ["MATCH p = (u:User)-[:FOLLOWS]->(v:User) SET u.name = string(nodes(p))", "a list of nodes or relationships"],
  ["MATCH p = (u:User)-[:FOLLOWS]->(v:User) SET u.name = list_to_string(',', rels(p))", "a list of nodes or relationships"],
  ["MATCH (u:User) SET u.name = string(id(u))", "function id is not allowed"],
  ["MATCH (u:User) SET u.n = offset(id(u))", "function offset is not allowed"],
  ["MATCH (u:User) SET u.n = hash(u)", "HASH"],
  ["MATCH (u:User) SET u.name = to_json(u)", "TO_JSON"],
  ["MATCH (u:User) SET u.name = u._id", "'_'"],
  ["MATCH (u:User) SET u.name = u.`_ID`", "'_'"],
  ["MATCH (u:User)-[r:FOLLOWS]->(v:User) SET u.name = string(r._src)", "'_'"],
  ["MATCH p = (u:User)-[:FOLLOWS]->(v:User) SET u.name = string(properties(rels(p), '_src'))", "internal fields"],
  ["MATCH p = (u:User)-[:FOLLOWS]->(v:User) SET u.name = string(properties(nodes(p), '_ID'))", "internal fields"],
  ["MATCH (u:User) SET u.name = string({a: u})", "map literal"],
  ["MATCH (u:User) SET u.name = string([u])", "list literal"],
  ["MATCH (u:User) SET u.name = list_to_string(',', [u])", "list literal"],
  ["MATCH (u:User) SET u.name = string(coalesce(u, u))", "COALESCE"],
  ["MATCH (u:User) SET u.name = string(CASE WHEN true THEN u END)", "result of CASE"],
  ["MATCH (u:User) SET u.name = u", "as a stored value"],
  ["MATCH (u:User) SET u.name = u + ''", "operand of +"],
  ["MATCH (u:User) SET u.name = md5(u)", "MD5"],
  ["MATCH (u:User) SET u.name = typeof(u)", "TYPEOF"],
  ["MATCH (a:User), (b:User) WHERE a < b SET a.name = 'first'", "operand of <"], // orders by internal id
  ["MATCH (u:User) WITH u ORDER BY u LIMIT 1 SET u.name = 'first'", "ORDER BY"],
  ["MATCH (u:User) WITH min(u) AS m SET m.name = 'min'", "MIN"],
  ["MATCH (u:User) CREATE (:User {id: 'x', name: string(u)})", "STRING"],
  ["MATCH (u:User) MERGE (v:User {id: 'x'}) ON CREATE SET v.name = string(u)", "STRING"],
  ["MATCH (u:User) WITH u AS w SET w.name = string(w)", "a node cannot be passed"],
  ["MATCH (u:User)-[r:FOLLOWS]->(v) WITH start_node(r) AS s SET s.name = string(s)", "a node cannot be passed"],
  ["MATCH (u:User) UNWIND [u] AS x SET u.name = string(x)", "list literal"],
  ["MATCH (u:User) RETURN u.*", "'.*'"],
  // A name the statement does not bind yet may be a node: refused rather than guessed.
  ["MATCH (a:User {name: string(b)}), (b:User) SET a.name = 'x'", "cannot be passed to STRING"],
];

const INTERNAL_IDS_SAFE: readonly string[] = [
  "MATCH (u:User) SET u.name = label(u)",
  "MATCH (a:User), (b:User) WHERE a = b SET a.name = 'self' RETURN count(a) AS n, count(DISTINCT b) AS m",
  "MATCH (u:User)-[r:FOLLOWS]->(v:User) SET v.name = start_node(r).name + ' follows me'",
  "MATCH p = (u:User)-[:FOLLOWS]->(v:User) SET u.name = list_to_string(',', properties(nodes(p), 'name'))",
  "MATCH (u:User) WITH u ORDER BY u.id LIMIT 10 SET u.name = upper(u.name)",
  "MATCH (u:User)-[r:FOLLOWS]->(v:User) DELETE r",
];

// Finding 4: cheap to send, and each would stall (or exhaust) every replica.
const WORK: readonly Case[] = [
  ["UNWIND range(1, 100000000) AS i RETURN count(i) AS n", "RANGE"], // 3 GB list, killed at 3 GB RSS
  ["RETURN size(range(1, 9223372036854775807)) AS n", "RANGE"],
  ["RETURN range(1, 10, 0) AS n", "must not be 0"],
  ["MATCH (u:User) UNWIND range(1, u.n) AS i RETURN count(i) AS c", "integer literal"],
  ["RETURN size(repeat(repeat('x', 10000), 10000)) AS n", "REPEAT"],
  ["RETURN size(lpad(repeat('x', 10), 1048577, 'y')) AS n", "LPAD"],
  ["WITH repeat('x', 900000) AS s RETURN size(s + s) AS n", "'+'"],
  ["WITH repeat('x', 600000) AS a, repeat('y', 600000) AS b, repeat('z', 600000) AS c, repeat('w', 600000) AS d, repeat('v', 600000) AS e, repeat('q', 600000) AS f, repeat('r', 600000) AS g RETURN 1 AS n", "add up to"],
  ["MATCH (u:User) WITH u.name + u.name AS a WITH a + a AS b WITH b + b AS c WITH c + c AS d WITH d + d AS e WITH e + e AS f WITH f + f AS g WITH g + g AS h RETURN size(h) AS n", "stored values at once"],
  ["MATCH (u:User) RETURN repeat(u.name, 1000) AS n", "stored values at once"],
  [`MATCH (u:User) RETURN size(${Array.from({ length: 140 }, () => "u.name").join(" + ")}) AS n`, "stored values at once"],
  ["RETURN size(CAST(range(1, 40000) AS STRING)) AS n", "CAST"],
  ["RETURN size(list_to_string(repeat(',', 1000), range(1, 40000))) AS n", "LIST_TO_STRING"],
];

const WORK_SAFE: readonly string[] = [
  "UNWIND range(1, 1000) AS i MERGE (u:User {id: 'bulk' + CAST(i AS STRING)}) SET u.name = 'n'",
  "UNWIND range(10, 1, -3) AS i RETURN i",
  "MATCH (u:User) SET u.name = u.name + ' ' + coalesce(u.email, '')",
  "MATCH (u:User) WITH u.name + '!' AS a WITH a + '?' AS b RETURN size(b) AS n",
];

describe("finding 1: statements that crash Kuzu 0.11 or never return", () => {
  refusedFor(CRASHES);
  acceptedAll(SAFE_VARIANTS);
});

describe("finding 2: kuzu-sync's internal table", () => {
  refusedFor(INTERNAL);
  acceptedAll(INTERNAL_SAFE);
});

describe("finding 3: internal ids never become data", () => {
  refusedFor(INTERNAL_IDS);
  acceptedAll(INTERNAL_IDS_SAFE);
});

describe("finding 4: what a statement computes is bounded before it runs", () => {
  refusedFor(WORK);
  acceptedAll(WORK_SAFE);
});

describe("the class, over the whole allowlist", () => {
  const call = (fn: string, first: string, min: number) => `${fn.toLowerCase()}(${[first, ...Array.from({ length: Math.max(0, min - 1) }, () => "1")].join(", ")})`;
  const entries = [...RAW_DML_FUNCTIONS.entries()].filter(([, spec]) => spec.arity[0] >= 1);

  test.each(entries.map(([fn]) => [fn]))("%s: a bare NULL, or a variable bound to one, is never an argument", (fn) => {
    const spec = RAW_DML_FUNCTIONS.get(fn)!;
    for (const cypher of [`RETURN ${call(fn, "NULL", spec.arity[0])} AS v`, `WITH NULL AS x RETURN ${call(fn, "x", spec.arity[0])} AS v`]) {
      expect(checkRawDml(cypher)).toMatchObject({ ok: false, message: expect.stringContaining("untyped NULL") });
    }
  });

  test.each(entries.map(([fn]) => [fn]))("%s: a node, relationship or path it does not take is never an argument", (fn) => {
    const spec = RAW_DML_FUNCTIONS.get(fn)!;
    const takes = graphKindsFor(spec, 0);
    const vars: [string, number][] = [["u", 1], ["r", 2], ["p", 4], ["nodes(p)", 8], ["nodes(p)[1]", 16]];
    for (const [v, kind] of vars) {
      if (takes & kind) continue;
      const cypher = `MATCH p = (u:User)-[r:FOLLOWS]->(v:User) SET v.name = CAST(${call(fn, v, spec.arity[0])} AS STRING)`;
      expect(checkRawDml(cypher)).toMatchObject({ ok: false });
    }
  });
});

describe("the accepted variants against a real Kuzu 0.11 (in memory)", () => {
  type Connection = InstanceType<typeof kuzu.Connection>;
  let db: InstanceType<typeof kuzu.Database>;
  let conn: Connection;

  async function run(cypher: string): Promise<Record<string, unknown>[]> {
    const prepared = await conn.prepare(cypher);
    if (!prepared.isSuccess()) throw new Error(prepared.getErrorMessage());
    const result = await conn.execute(prepared, {});
    const results = Array.isArray(result) ? result : [result];
    try {
      let rows: Record<string, unknown>[] = [];
      for (const r of results) rows = (await r.getAll()) as Record<string, unknown>[];
      return rows;
    } finally {
      for (const r of results) r.close();
    }
  }

  beforeAll(async () => {
    db = new kuzu.Database(":memory:");
    conn = new kuzu.Connection(db);
    for (const ddl of [
      "CREATE NODE TABLE User(id STRING PRIMARY KEY, name STRING, email STRING, n INT64)",
      "CREATE REL TABLE FOLLOWS(FROM User TO User)",
      "CREATE NODE TABLE KuzuSyncMeta(k STRING PRIMARY KEY, seq INT64, hash STRING)",
      "CREATE (:KuzuSyncMeta {k: 'state', seq: 7, hash: 'h'})",
      "CREATE (:User {id: 'a', name: 'Ann', n: 1})-[:FOLLOWS]->(:User {id: 'b', name: 'B', n: 2})",
    ]) {
      await run(ddl);
    }
  });

  afterAll(async () => {
    await conn?.close();
    await db?.close();
  });

  test.each([...SAFE_VARIANTS, ...INTERNAL_SAFE, ...INTERNAL_IDS_SAFE, ...WORK_SAFE].map((s) => [s]))("runs %p and leaves the internal table alone", async (cypher) => {
    expect(checkRawDml(cypher).ok).toBe(true);
    await run(cypher);
    expect(await run("MATCH (m:KuzuSyncMeta) RETURN m.k AS k, m.seq AS seq, m.hash AS hash")).toEqual([{ k: "state", seq: 7, hash: "h" }]);
  });

  test("no stored value holds an internal id", async () => {
    const rows = await run("MATCH (u:User) RETURN u.name AS name");
    for (const { name } of rows) expect(String(name)).not.toMatch(/\d+:\d+|_ID|_LABEL/);
  });
});
