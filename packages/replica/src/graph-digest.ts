/**
 * A canonical dump of a replica's graph, and its sha256: every node and relationship with its
 * properties, no internal ids, independent of insertion order and storage layout. Two replicas that
 * applied the same events have the same digest whatever path they took (batched or one at a time,
 * built from seq 1 or from a snapshot); that is what divergence checks, the batch-form check of
 * `sync-server check` and upgrade tests compare.
 *
 * The dump is built from Kuzu's own catalogue (`show_tables`, `table_info`, `show_connection`), so
 * it covers every table of any registry. Nodes are identified by their primary key, relationships
 * by the primary keys of their ends; the bookkeeping table {@link META_TABLE} is left out (its seq
 * and hash say how the replica was built, not what it holds).
 *
 * Values are encoded without loss where JavaScript would lose them: integers wider than 53 bits,
 * decimals, dates, timestamps (microseconds) and intervals are read as Kuzu's own text for them.
 * (Inside lists, structs and maps that also hold strings or floats, integers past 2^53 are not.)
 *
 * The dump takes one query per table (plus the catalogue): digest a replica while nothing is
 * applied to it, or check that its `appliedSeq` is the same before and after, or the tables may
 * come from different seqs.
 * @module
 */
import { createHash } from "node:crypto";
import { META_TABLE, type Replica } from "./replica.ts";

/** What the dump reads through: a {@link Replica}, a {@link ScratchGraph}, or any `{ query }` over a Kuzu connection. */
export interface GraphReader {
  query(cypher: string): Promise<Record<string, unknown>[]>;
}

/** One table of a dump. */
export interface TableDump {
  readonly name: string;
  readonly kind: "node" | "rel";
  /**
   * The table's shape as one line: properties with their types (and primary key) for a node table,
   * the connections and properties for a relationship table. Part of the digest.
   */
  readonly shape: string;
  /**
   * Rows as canonical JSON arrays, sorted. Node table: its properties in declaration order.
   * Relationship table: source table, source key, destination table, destination key, then its
   * properties. Identical rows (parallel relationships) each keep their line.
   */
  readonly rows: readonly string[];
}

/** The whole graph, tables sorted by name. */
export interface GraphDump {
  readonly tables: readonly TableDump[];
}

/** What {@link digestGraph} returns. */
export interface GraphDigest {
  /** sha256 (hex) of the canonical dump. */
  readonly sha256: string;
  readonly nodes: number;
  readonly relationships: number;
  /** Rows per table. */
  readonly tables: Readonly<Record<string, number>>;
}

export interface DumpOptions {
  /** Tables left out besides {@link META_TABLE}. */
  readonly skipTables?: readonly string[];
}

/**
 * Scalar types JavaScript reads with a loss (64/128-bit integers, decimals, microsecond times,
 * intervals as milliseconds): such a column is read as Kuzu's text for it instead. A nested type is
 * read as text only when no part of it is a string, blob or float, whose text would be ambiguous
 * (`['a,b']` and `['a','b']` print alike) or imprecise.
 */
const LOSSY = /INT64|INT128|SERIAL|DECIMAL|DATE|TIMESTAMP|INTERVAL/;
const TEXT_UNSAFE = /STRING|BLOB|DOUBLE|FLOAT|UUID|JSON/;

/**
 * The canonical dump of a graph.
 * @example
 * const dump = await dumpGraph(replica);
 * const rows = dump.tables.map((t) => [t.name, t.rows.length]);
 */
export async function dumpGraph(reader: GraphReader, options: DumpOptions = {}): Promise<GraphDump> {
  const skip = new Set([META_TABLE, ...(options.skipTables ?? [])]);
  const tables = (await reader.query("CALL show_tables() RETURN name, type"))
    .map((t) => ({ name: String(t["name"]), type: String(t["type"]) }))
    .filter((t) => !skip.has(t.name))
    .sort((a, b) => compare(a.name, b.name));
  const out: TableDump[] = [];
  for (const t of tables) {
    if (t.type === "NODE") out.push(await dumpNodeTable(reader, t.name));
    else if (t.type === "REL") out.push(await dumpRelTable(reader, t.name));
    else throw new Error(`cannot dump table ${t.name}: Kuzu table type ${t.type} is not a node or relationship table`);
  }
  return { tables: out };
}

/**
 * The sha256 of a graph's canonical dump, with counts.
 * @example
 * const [a, b] = await Promise.all([digestGraph(replicaA), digestGraph(replicaB)]);
 * if (a.sha256 !== b.sha256) throw new Error("replicas diverged");
 */
export async function digestGraph(reader: GraphReader, options: DumpOptions = {}): Promise<GraphDigest> {
  return digestOfDump(await dumpGraph(reader, options));
}

/** A replica's digest at the seq it had applied: what `GET /digest` and `client.verify()` compare. */
export interface ReplicaDigest {
  readonly seq: number;
  readonly sha256: string;
  readonly nodes: number;
  readonly relationships: number;
}

/**
 * The digest of `replica` exactly at its applied seq: taken in its write queue, between two
 * applied batches, so no table is read at another seq.
 * @example const { seq, sha256 } = await digestReplica(replica);
 */
export async function digestReplica(replica: Replica): Promise<ReplicaDigest> {
  return replica.atRest(async (r) => {
    const { sha256, nodes, relationships } = await digestGraph(r);
    return { seq: r.seq, sha256, nodes, relationships };
  });
}

/**
 * The digest of a dump already taken (the same value {@link digestGraph} gives).
 * @example const { sha256 } = digestOfDump(await dumpGraph(replica));
 */
export function digestOfDump(dump: GraphDump): GraphDigest {
  const hash = createHash("sha256");
  let nodes = 0;
  let relationships = 0;
  const tables: Record<string, number> = {};
  for (const t of dump.tables) {
    hash.update(`${t.kind} ${t.name} ${t.shape} ${t.rows.length}\n`);
    for (const row of t.rows) hash.update(`${row}\n`);
    tables[t.name] = t.rows.length;
    if (t.kind === "node") nodes += t.rows.length;
    else relationships += t.rows.length;
  }
  return { sha256: hash.digest("hex"), nodes, relationships, tables };
}

/**
 * What differs between two dumps, as readable lines (`- Table row` only in `a`, `+ Table row` only
 * in `b`, or a table's shape), at most `limit` of them.
 * @example diffGraphDumps(await dumpGraph(single), await dumpGraph(batched)) // ["- User [\"u1\",\"Ann\"]", "+ User [\"u1\",null]"]
 */
export function diffGraphDumps(a: GraphDump, b: GraphDump, limit = 20): string[] {
  const out: string[] = [];
  const push = (line: string): boolean => (out.length < limit ? (out.push(line), true) : false);
  const byName = (d: GraphDump) => new Map(d.tables.map((t) => [t.name, t]));
  const left = byName(a);
  const right = byName(b);
  for (const name of [...new Set([...left.keys(), ...right.keys()])].sort(compare)) {
    const l = left.get(name);
    const r = right.get(name);
    if (!l || !r || l.shape !== r.shape || l.kind !== r.kind) {
      if (!push(`table ${name}: ${l ? `${l.kind} ${l.shape}` : "absent"} vs ${r ? `${r.kind} ${r.shape}` : "absent"}`)) return out;
      continue;
    }
    // Both row lists are sorted: one merge pass finds the lines only one side has (with counts).
    let i = 0;
    let j = 0;
    while (i < l.rows.length || j < r.rows.length) {
      const x = l.rows[i];
      const y = r.rows[j];
      if (x !== undefined && x === y) {
        i++;
        j++;
      } else if (y === undefined || (x !== undefined && compare(x, y) < 0)) {
        if (!push(`- ${name} ${x}`)) return out;
        i++;
      } else {
        if (!push(`+ ${name} ${y}`)) return out;
        j++;
      }
    }
  }
  return out;
}

async function dumpNodeTable(reader: GraphReader, name: string): Promise<TableDump> {
  const columns = await tableColumns(reader, name);
  const key = columns.find((c) => c.primaryKey);
  const shape = columns.map((c) => `${c.name} ${c.type}${c.primaryKey ? " PRIMARY KEY" : ""}`).join(", ");
  if (columns.length === 0 || !key) return { name, kind: "node", shape, rows: [] };
  const rows = await reader.query(`MATCH (n:${quote(name)}) RETURN ${columns.map((c, i) => `${read("n", c)} AS c${i}`).join(", ")}`);
  return { name, kind: "node", shape, rows: encodeRows(rows, columns.length) };
}

async function dumpRelTable(reader: GraphReader, name: string): Promise<TableDump> {
  const columns = await tableColumns(reader, name);
  const connections = (await reader.query(`CALL show_connection(${literal(name)}) RETURN *`))
    .map((c) => ({
      from: String(c["source table name"]),
      to: String(c["destination table name"]),
      fromKey: String(c["source table primary key"]),
      toKey: String(c["destination table primary key"]),
    }))
    .sort((a, b) => compare(`${a.from}\u0000${a.to}`, `${b.from}\u0000${b.to}`));
  const shape = `${connections.map((c) => `FROM ${c.from} TO ${c.to}`).join(", ")}${columns.map((c) => `, ${c.name} ${c.type}`).join("")}`;
  const rows: string[] = [];
  for (const c of connections) {
    const fromType = await keyType(reader, c.from, c.fromKey);
    const toType = await keyType(reader, c.to, c.toKey);
    const ends = [
      `${read("a", { name: c.fromKey, type: fromType })} AS e0`,
      `${read("b", { name: c.toKey, type: toType })} AS e1`,
    ];
    const props = columns.map((col, i) => `${read("r", col)} AS c${i}`);
    const result = await reader.query(`MATCH (a:${quote(c.from)})-[r:${quote(name)}]->(b:${quote(c.to)}) RETURN ${[...ends, ...props].join(", ")}`);
    const fromName = JSON.stringify(c.from);
    const toName = JSON.stringify(c.to);
    for (const row of result) {
      let line = `[${fromName},${encode(row["e0"])},${toName},${encode(row["e1"])}`;
      for (let i = 0; i < columns.length; i++) line += `,${encode(row[`c${i}`])}`;
      rows.push(`${line}]`);
    }
  }
  rows.sort(compare);
  return { name, kind: "rel", shape, rows };
}

interface Column {
  readonly name: string;
  readonly type: string;
  readonly primaryKey?: boolean;
}

async function tableColumns(reader: GraphReader, table: string): Promise<Column[]> {
  const info = await reader.query(`CALL table_info(${literal(table)}) RETURN *`);
  return info
    .sort((a, b) => Number(a["property id"]) - Number(b["property id"]))
    .map((c) => ({ name: String(c["name"]), type: String(c["type"]), primaryKey: c["primary key"] === true }));
}

async function keyType(reader: GraphReader, table: string, key: string): Promise<string> {
  const column = (await tableColumns(reader, table)).find((c) => c.name === key);
  return column?.type ?? "STRING";
}

/** The expression that reads a property without loss (see {@link LOSSY}). */
function read(variable: string, column: Column): string {
  const value = `${variable}.${quote(column.name)}`;
  const type = column.type.toUpperCase();
  return LOSSY.test(type) && !TEXT_UNSAFE.test(type) ? `CAST(${value} AS STRING)` : value;
}

function encodeRows(rows: readonly Record<string, unknown>[], width: number): string[] {
  const out = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let line = "[";
    for (let i = 0; i < width; i++) line += (i === 0 ? "" : ",") + encode(row[`c${i}`]);
    out[r] = `${line}]`;
  }
  return out.sort(compare);
}

/**
 * Canonical JSON of one value: object keys sorted (structs, maps), and the values JSON has no
 * literal for spelled out, so that no two different values encode alike.
 */
function encode(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      if (Number.isFinite(value)) return Object.is(value, -0) ? '{"$number":"-0"}' : String(value);
      return `{"$number":"${String(value)}"}`;
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return `{"$bigint":"${value.toString()}"}`;
    case "undefined":
      return "null";
    case "object": {
      if (value === null) return "null";
      if (value instanceof Uint8Array) return `{"$bytes":"${Buffer.from(value).toString("hex")}"}`;
      if (value instanceof Date) return `{"$date":"${Number.isNaN(value.getTime()) ? "invalid" : value.toISOString()}"}`;
      if (Array.isArray(value)) return `[${value.map(encode).join(",")}]`;
      // A key starting with "$" gets one more, so a struct can never read like a tagged value.
      const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compare(a, b));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k.startsWith("$") ? `$${k}` : k)}:${encode(v)}`).join(",")}}`;
    }
    default:
      throw new Error(`cannot encode a ${typeof value} read from Kuzu`);
  }
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A table or property name in backticks (names come from Kuzu's own catalogue). */
function quote(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}

function literal(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}
