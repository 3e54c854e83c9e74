/**
 * What a read query may read, so a live query is evaluated again only after a change that can
 * alter its rows: an event that writes an entity (or a table) the query reads.
 *
 * Two analyses, the precise one first:
 * - the footprint analysis of templates (`footprint.ts`), which understands simple
 *   `MATCH … WHERE … RETURN` shapes and gives entities by key (`MATCH (u:User {id: $id})` reads
 *   `USER[$id]` only);
 * - failing that, the tables the query names, from its tokens: every label and relationship type
 *   in a pattern. A node pattern without a label next to a relationship pattern reads the endpoint
 *   tables of the relationship types named; one on its own, a relationship pattern without a type,
 *   a label that is not a table of the schema, or `CALL` reads everything.
 * Either way the answer may be larger than what the query really reads, never smaller. A precise
 * footprint that misses a table the query names anywhere (a pattern inside RETURN, say) is not
 * trusted: the named tables are used instead.
 * @module
 */
import { tokenizeCypher, type Token } from "@kuzu-sync/protocol";
import { deriveFootprint, type Access } from "./footprint.ts";
import type { SchemaTables } from "./schema-tables.ts";

/**
 * The accesses `cypher` may read (keys still as parameters, see `entityAccesses`), or null when it
 * may read anything.
 * @example
 * readFootprint("MATCH (u:User {id: $id}) RETURN u.name", tables); // [{ write: false, table: "USER", key: [{ param: "id" }] }]
 * readFootprint("MATCH (n) RETURN count(n)", tables); // null
 */
export function readFootprint(cypher: string, tables: SchemaTables): readonly Access[] | null {
  if (tables.unknown !== null) return null;
  const lexed = tokenizeCypher(cypher);
  if (!lexed.ok) return null;
  const named = namedTables(lexed.tokens, tables);
  if (named === null) return null;
  const footprint = deriveFootprint([cypher], tables);
  if (footprint.known) {
    const covered = new Set(footprint.accesses.map((a) => a.table));
    if ([...named].every((t) => covered.has(t))) return footprint.accesses.map((a) => ({ ...a, write: false }));
  }
  return [...named].map((table) => ({ write: false, table, key: null }));
}

/** Words after which `(` opens a pattern or a parenthesised expression, not a function's arguments. */
const BEFORE_PATTERN = new Set(["MATCH", "MERGE", "CREATE", "WHERE", "AND", "OR", "XOR", "NOT", "WITH", "RETURN", "IN", "WHEN", "THEN", "ELSE", "DISTINCT", "UNWIND", "AS", "BY", "ON", "CASE", "EXISTS"]);

/**
 * The tables `tokens` name in patterns, or null when the query may read any table.
 * @example namedTables(tokenizeCypher("MATCH (a:User)-[:FOLLOWS]->(b) RETURN b").tokens, tables) // USER, FOLLOWS
 */
export function namedTables(tokens: readonly Token[], tables: SchemaTables): Set<string> | null {
  const named = new Set<string>();
  const relTypes = new Set<string>();
  let adjacentBare = false;
  const close = closingBrackets(tokens);
  const brackets: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const prev = tokens[i - 1];
    if (t.kind === "word" && t.value === "CALL") return null;
    if (t.kind !== "punct") continue;
    if (t.value === "-" && tokens[i + 1]?.kind === "punct" && tokens[i + 1]!.value === "-") return null; // `--`, `-->`: no type
    if (t.value === "(" || t.value === "[" || t.value === "{") {
      const end = close.get(i) ?? tokens.length - 1;
      if (t.value === "[" && prev?.value === "-" && !hasLabel(tokens, i, end)) return null; // `-[r]-`, `-[*]-`
      if (t.value === "(" && startsPattern(prev) && isBareNode(tokens, i, end, close)) {
        const next = tokens[end + 1];
        const adjacent = prev?.value === "-" || prev?.value === ">" || next?.value === "-" || next?.value === "<";
        if (!adjacent) return null; // `(n)` on its own: any node table
        adjacentBare = true;
      }
      brackets.push(t.value);
      continue;
    }
    if (t.value === ")" || t.value === "]" || t.value === "}") {
      brackets.pop();
      continue;
    }
    const inside = brackets[brackets.length - 1];
    if ((t.value === ":" || t.value === "|") && (inside === "(" || inside === "[")) {
      const name = tokens[i + 1];
      if (name === undefined || (name.kind !== "word" && name.kind !== "quoted")) continue; // a list slice `[1:2]`
      const table = (name.kind === "word" ? name.text : name.value).toUpperCase();
      if (tables.nodes.has(table)) named.add(table);
      else if (tables.rels.has(table)) {
        named.add(table);
        relTypes.add(table);
      } else return null; // not a table of the schema (or a list comprehension's `|`): anything
    }
  }
  if (adjacentBare) {
    if (relTypes.size === 0) return null;
    for (const r of relTypes) for (const [from, to] of tables.rels.get(r)!.pairs) named.add(from).add(to);
  }
  return named;
}

/** Whether `(` after `prev` opens a pattern (or a parenthesised expression) rather than a call's arguments. */
function startsPattern(prev: Token | undefined): boolean {
  if (prev === undefined) return true;
  if (prev.kind === "word") return BEFORE_PATTERN.has(prev.value);
  if (prev.kind === "punct") return prev.value !== ")" && prev.value !== "]";
  return false;
}

/** Whether `(` … `)` at `open`…`end` is a node pattern without a label: `()`, `(n)`, `(n {…})`, `({…})`. */
function isBareNode(tokens: readonly Token[], open: number, end: number, close: ReadonlyMap<number, number>): boolean {
  let j = open + 1;
  const t = tokens[j];
  if (t !== undefined && (t.kind === "word" || t.kind === "quoted")) j++;
  if (tokens[j]?.kind === "punct" && tokens[j]!.value === "{") j = (close.get(j) ?? end) + 1;
  return j === end;
}

/** Whether the bracket opened at `open` (closed at `end`) has a `:` label or type at its own level. */
function hasLabel(tokens: readonly Token[], open: number, end: number): boolean {
  let depth = 0;
  for (let i = open + 1; i < end; i++) {
    const t = tokens[i]!;
    if (t.kind !== "punct") continue;
    if (t.value === "(" || t.value === "[" || t.value === "{") depth++;
    else if (t.value === ")" || t.value === "]" || t.value === "}") depth--;
    else if (t.value === ":" && depth === 0) return true;
  }
  return false;
}

/** Index of each opening bracket → index of its closing one. */
function closingBrackets(tokens: readonly Token[]): Map<number, number> {
  const out = new Map<number, number>();
  const open: number[] = [];
  tokens.forEach((t, i) => {
    if (t.kind !== "punct") return;
    if (t.value === "(" || t.value === "[" || t.value === "{") open.push(i);
    else if (t.value === ")" || t.value === "]" || t.value === "}") {
      const start = open.pop();
      if (start !== undefined) out.set(start, i);
    }
  });
  return out;
}
