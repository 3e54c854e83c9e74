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
import { tokenizeCypher, type SequencedEvent } from "@kuzu-sync/protocol";
import type { SchemaTables } from "./schema-tables.ts";

/** Relationship tables a template may MERGE on, insert into, and delete from (upper-cased). */
export interface RelEffects {
  readonly merges: ReadonlySet<string>;
  readonly inserts: ReadonlySet<string>;
  readonly deletes: ReadonlySet<string>;
}

/**
 * What a template's statements (single and batch forms together) may do to relationships, read
 * from their tokens: a statement with MERGE may merge and insert, one with CREATE may insert,
 * every relationship table it names; one with DELETE may delete from every one it names, and with
 * DETACH DELETE from every one touching a node table it names. Unreadable text, or an unknown
 * schema, may do anything.
 * @example relEffects(["MATCH (u:User {id: $id}) DETACH DELETE u"], tables).deletes // FOLLOWS, AUTHORED
 */
export function relEffects(statements: readonly string[], tables: SchemaTables): RelEffects {
  const all = new Set(tables.rels.keys());
  if (tables.unknown !== null) return { merges: all, inserts: all, deletes: all };
  const merges = new Set<string>();
  const inserts = new Set<string>();
  const deletes = new Set<string>();
  for (const statement of statements) {
    const lexed = tokenizeCypher(statement);
    if (!lexed.ok) return { merges: all, inserts: all, deletes: all };
    const words = new Set<string>();
    const rels = new Set<string>();
    const nodes = new Set<string>();
    lexed.tokens.forEach((t, i) => {
      if (t.kind === "word") words.add(t.value);
      const prev = lexed.tokens[i - 1];
      if ((t.kind === "word" || t.kind === "quoted") && prev?.kind === "punct" && (prev.value === ":" || prev.value === "|")) {
        const name = t.value.toUpperCase();
        if (tables.rels.has(name)) rels.add(name);
        if (tables.nodes.has(name)) nodes.add(name);
      }
    });
    if (words.has("MERGE")) for (const r of rels) merges.add(r);
    if (words.has("MERGE") || words.has("CREATE")) for (const r of rels) inserts.add(r);
    if (words.has("DELETE")) {
      for (const r of rels) deletes.add(r);
      if (words.has("DETACH")) {
        for (const [name, rel] of tables.rels) if (rel.pairs.some(([from, to]) => nodes.has(from) || nodes.has(to))) deletes.add(name);
      }
    }
  }
  return { merges, inserts, deletes };
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
