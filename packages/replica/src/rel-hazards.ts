/**
 * Where one transaction must end and the next begin, because of Kuzu 0.11 bugs in a transaction's
 * own relationship changes: once a transaction has both inserted relationships into a table and
 * deleted relationships from it (in either order, the deleted ones committed earlier or not),
 * reading that table in the same transaction can go wrong — a scan returns one new relationship
 * twice and misses another, and MERGE misses a relationship the transaction inserted and inserts
 * a duplicate. What commits is right; what the later statements of the transaction read is not.
 * Applied one event per transaction this never happens; batched, it would. So a window of events
 * is cut, in seq order, before an event that may delete from a relationship table some earlier
 * event of the run may insert into, or insert into one it may delete from. Transactions that only
 * insert into a table, or only delete from it, read it correctly. Registries whose hot paths
 * never delete relationships are never cut (docs/BATCH-FORMS.md).
 * @module
 */
import { tokenizeCypher, type SequencedEvent, type Token } from "@kuzu-sync/protocol";
import type { SchemaTables } from "./schema-tables.ts";

/** Relationship tables a template may MERGE on, insert into, and delete from (upper-cased). */
export interface RelEffects {
  readonly merges: ReadonlySet<string>;
  readonly inserts: ReadonlySet<string>;
  readonly deletes: ReadonlySet<string>;
}

/**
 * What a template's statements (single and batch forms together) may do to relationships, read
 * from their tokens: the relationship types in the patterns of a MERGE clause may be merged and
 * inserted, those of a CREATE clause inserted; a DELETE of a relationship variable may delete
 * from its type, a DELETE of a node variable from every type touching its label. Anything it
 * cannot place (an unreadable text, a variable of unknown type, an unknown schema) may do anything.
 * @example relEffects(["MATCH (u:User {id: $id}) DETACH DELETE u"], tables).deletes // FOLLOWS, AUTHORED
 */
export function relEffects(statements: readonly string[], tables: SchemaTables): RelEffects {
  const all = new Set(tables.rels.keys());
  const anything: RelEffects = { merges: all, inserts: all, deletes: all };
  if (tables.unknown !== null) return anything;
  const merges = new Set<string>();
  const inserts = new Set<string>();
  const deletes = new Set<string>();
  for (const statement of statements) {
    const lexed = tokenizeCypher(statement);
    if (!lexed.ok) return anything;
    const tokens = lexed.tokens;
    const relOf = new Map<string, string>();
    const labelOf = new Map<string, string>();
    const brackets: string[] = [];
    let clause = "";
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      const prev = tokens[i - 1];
      if (t.kind === "punct" && (t.value === "(" || t.value === "[" || t.value === "{")) brackets.push(t.value);
      else if (t.kind === "punct" && (t.value === ")" || t.value === "]" || t.value === "}")) brackets.pop();
      else if (t.kind === "word" && brackets.length === 0 && CLAUSES.has(t.value) && !(t.value === "CREATE" && prev?.value === "ON")) {
        clause = t.value;
        if (clause === "DELETE" && !deleteItems(tokens, i + 1, relOf, labelOf, tables, deletes)) return anything;
      } else if ((t.kind === "word" || t.kind === "quoted") && (prev?.value === ":" || prev?.value === "|")) {
        const inside = brackets[brackets.length - 1];
        const name = t.value.toUpperCase();
        const variable = tokens[i - 2];
        const bound = variable && (variable.kind === "word" || variable.kind === "quoted") && prev?.value === ":" ? (variable.kind === "word" ? variable.text : variable.value) : null;
        if (inside === "[" && tables.rels.has(name)) {
          if (bound) relOf.set(bound, name);
          if (clause === "MERGE") merges.add(name);
          if (clause === "MERGE" || clause === "CREATE") inserts.add(name);
        } else if (inside === "(" && tables.nodes.has(name) && bound) {
          labelOf.set(bound, name);
        }
      }
    }
  }
  return { merges, inserts, deletes };
}

/** Clause keywords (outside brackets) that start the patterns or items that follow them. */
const CLAUSES = new Set(["MATCH", "MERGE", "CREATE", "DELETE", "SET", "REMOVE", "WITH", "UNWIND", "RETURN", "WHERE", "ORDER", "SKIP", "LIMIT", "ON", "CALL", "FOREACH", "LOAD", "UNION"]);

/** The variables a DELETE names (up to the next clause); false when one cannot be placed. */
function deleteItems(
  tokens: readonly Token[],
  from: number,
  relOf: ReadonlyMap<string, string>,
  labelOf: ReadonlyMap<string, string>,
  tables: SchemaTables,
  deletes: Set<string>,
): boolean {
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === "end" || (t.kind === "word" && CLAUSES.has(t.value))) return true;
    if (t.kind === "punct" && t.value === ",") continue;
    if (t.kind !== "word" && t.kind !== "quoted") return false;
    const name = t.kind === "word" ? t.text : t.value;
    const rel = relOf.get(name);
    const label = labelOf.get(name);
    if (rel) deletes.add(rel);
    else if (label) {
      for (const [r, def] of tables.rels) if (def.pairs.some(([a, b]) => a === label || b === label)) deletes.add(r);
    } else return false;
  }
  return true;
}

/**
 * Cut `events` (in seq order) into runs that each go in one transaction: a run ends before an
 * event that may delete from a relationship table some event of the run may insert into, or the
 * other way round. `effectsOf` gives an event's effects (null: it touches no relationship).
 * @example for (const run of cutAtRelHazards(events, (e) => effects.get(e.template) ?? null)) await applyInOneTransaction(run);
 */
export function cutAtRelHazards(events: readonly SequencedEvent[], effectsOf: (e: SequencedEvent) => RelEffects | null): SequencedEvent[][] {
  const runs: SequencedEvent[][] = [];
  let run: SequencedEvent[] = [];
  let inserted = new Set<string>();
  let deleted = new Set<string>();
  for (const e of events) {
    const fx = e.duplicateOf === undefined ? effectsOf(e) : null;
    if (fx && run.length > 0 && (intersects(fx.deletes, inserted) || intersects(fx.inserts, deleted))) {
      runs.push(run);
      run = [];
      inserted = new Set();
      deleted = new Set();
    }
    run.push(e);
    if (fx) {
      for (const r of fx.inserts) inserted.add(r);
      for (const r of fx.deletes) deleted.add(r);
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function intersects(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const x of a) if (b.has(x)) return true;
  return false;
}
