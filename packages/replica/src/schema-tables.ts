/**
 * What the footprint analysis needs to know about a registry's schema: each node table's primary
 * key, each relationship table's endpoint pairs and multiplicity. Read from the registry's DDL;
 * anything the reader does not understand makes the whole schema unknown, and every template of
 * such a registry is applied as a barrier (never reordered).
 * @module
 */
import { tokenizeCypher, type Token } from "@kuzu-sync/protocol";

export interface NodeTable {
  /** Primary key column, upper-cased. */
  readonly primaryKey: string;
  /**
   * A created node gets a value that depends on the order of creation (a SERIAL key, a
   * `nextval()` default): creating one is never reordered.
   */
  readonly orderDependent: boolean;
}

/** Kuzu's relationship multiplicities; MANY_MANY when none is declared. */
export type Multiplicity = "MANY_MANY" | "MANY_ONE" | "ONE_MANY" | "ONE_ONE";

export interface RelTable {
  /** FROM/TO node table pairs, upper-cased. */
  readonly pairs: readonly (readonly [from: string, to: string])[];
  readonly multiplicity: Multiplicity;
  /** A property default depends on the order of creation (`nextval()`). */
  readonly orderDependent: boolean;
}

/** Tables by upper-cased name (Kuzu's table names are case-insensitive). */
export interface SchemaTables {
  readonly nodes: ReadonlyMap<string, NodeTable>;
  readonly rels: ReadonlyMap<string, RelTable>;
  /** Why the schema could not be read completely; null when it could. */
  readonly unknown: string | null;
}

const MULTIPLICITIES = new Set<string>(["MANY_MANY", "MANY_ONE", "ONE_MANY", "ONE_ONE"]);

/**
 * Read the tables a registry's DDL creates.
 * @example
 * const tables = readSchemaTables(["CREATE NODE TABLE User(id STRING, PRIMARY KEY(id))"]);
 * tables.nodes.get("USER")?.primaryKey; // "ID"
 */
export function readSchemaTables(ddl: readonly string[]): SchemaTables {
  const nodes = new Map<string, NodeTable>();
  const rels = new Map<string, RelTable>();
  for (const statement of ddl) {
    const lexed = tokenizeCypher(statement);
    const parsed = lexed.ok ? parseTable(lexed.tokens.filter((t) => t.kind !== "end" && !(t.kind === "punct" && t.value === ";"))) : null;
    if (parsed === null) return { nodes, rels, unknown: `schema statement not understood: ${statement.slice(0, 80)}` };
    if (parsed.kind === "node") nodes.set(parsed.name, parsed.table);
    else rels.set(parsed.name, parsed.table);
  }
  return { nodes, rels, unknown: null };
}

type Parsed = { kind: "node"; name: string; table: NodeTable } | { kind: "rel"; name: string; table: RelTable };

const word = (t: Token | undefined, value: string): boolean => t !== undefined && t.kind === "word" && t.value === value;
const nameOf = (t: Token | undefined): string | null => (t && (t.kind === "word" || t.kind === "quoted") ? t.value.toUpperCase() : null);

function parseTable(tokens: readonly Token[]): Parsed | null {
  let i = 0;
  if (!word(tokens[i++], "CREATE")) return null;
  const kind = word(tokens[i], "NODE") ? "node" : word(tokens[i], "REL") ? "rel" : null;
  if (kind === null || !word(tokens[++i], "TABLE")) return null;
  i++;
  if (word(tokens[i], "IF") && word(tokens[i + 1], "NOT") && word(tokens[i + 2], "EXISTS")) i += 3;
  const name = nameOf(tokens[i++]);
  if (name === null || tokens[i]?.value !== "(" || tokens[tokens.length - 1]?.value !== ")") return null;
  const items = splitItems(tokens.slice(i + 1, tokens.length - 1));
  if (items === null) return null;
  return kind === "node" ? parseNode(name, items) : parseRel(name, items);
}

/** Comma-separated items at bracket depth 0. */
function splitItems(tokens: readonly Token[]): Token[][] | null {
  const items: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === "punct" && (t.value === "(" || t.value === "[" || t.value === "{")) depth++;
    if (t.kind === "punct" && (t.value === ")" || t.value === "]" || t.value === "}")) depth--;
    if (depth < 0) return null;
    if (depth === 0 && t.kind === "punct" && t.value === ",") items.push([]);
    else items[items.length - 1]!.push(t);
  }
  return depth === 0 && items.every((item) => item.length > 0) ? items : null;
}

function parseNode(name: string, items: readonly Token[][]): Parsed | null {
  let primaryKey: string | null = null;
  const columns = new Map<string, Token[]>();
  let orderDependent = false;
  for (const item of items) {
    if (word(item[0], "PRIMARY") && word(item[1], "KEY")) {
      if (item[2]?.value !== "(" || item[4]?.value !== ")" || item.length !== 5) return null;
      primaryKey = nameOf(item[3]);
      continue;
    }
    const column = nameOf(item[0]);
    if (column === null) return null;
    columns.set(column, item);
    if (item.some((t) => word(t, "SERIAL") || word(t, "NEXTVAL") || word(t, "CURRVAL"))) orderDependent = true;
    const pk = item.findIndex((t, k) => word(t, "PRIMARY") && word(item[k + 1], "KEY"));
    if (pk > 0) primaryKey = column;
  }
  if (primaryKey === null || !columns.has(primaryKey)) return null;
  return { kind: "node", name, table: { primaryKey, orderDependent } };
}

function parseRel(name: string, items: readonly Token[][]): Parsed | null {
  const pairs: (readonly [string, string])[] = [];
  let multiplicity: Multiplicity = "MANY_MANY";
  let orderDependent = false;
  for (const item of items) {
    if (item.some((t) => word(t, "SERIAL") || word(t, "NEXTVAL") || word(t, "CURRVAL"))) orderDependent = true;
    if (word(item[0], "FROM")) {
      const from = nameOf(item[1]);
      const to = nameOf(item[3]);
      if (from === null || to === null || !word(item[2], "TO") || item.length !== 4) return null;
      pairs.push([from, to]);
    } else if (item.length === 1 && item[0]!.kind === "word" && MULTIPLICITIES.has(item[0]!.value)) {
      multiplicity = item[0]!.value as Multiplicity;
    } else if (nameOf(item[0]) === null || item.length < 2) {
      return null;
    }
  }
  if (pairs.length === 0) return null;
  return { kind: "rel", name, table: { pairs, multiplicity, orderDependent } };
}
