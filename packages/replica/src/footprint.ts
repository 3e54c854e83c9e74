/**
 * What a template reads and writes, derived from its single form's Cypher and the schema, so a
 * replica can tell which events commute (see `apply-plan.ts` and docs/BATCH-FORMS.md).
 *
 * A footprint is a list of accesses to entities: a node by its table and primary key, a
 * relationship by its table and the keys of its two endpoints, or a whole table. Keys come from
 * the event's parameters (`MATCH (u:User {id: $id})` reads `USER[$id]`), so two events touch the
 * same entity exactly when they name the same key. The analysis understands a deliberately small
 * part of Cypher — the clauses templates are made of, with primary keys given as `{pk: $param}`
 * in patterns — and says "unknown" for anything else; an unknown template is a barrier.
 *
 * What makes it sound:
 * - every node a pattern introduces is recorded (read by MATCH, written by MERGE/CREATE), by key
 *   when the pattern gives its primary key as a parameter or literal, otherwise as its whole table;
 * - a relationship is recorded with the keys of both endpoints, which are themselves recorded, so
 *   deleting a node (DETACH DELETE writes it) conflicts with every event that touches one of its
 *   relationships through its key;
 * - SET, REMOVE and DELETE write what their variable is bound to;
 * - subqueries, pattern expressions, CALL, variable-length paths, unlabelled nodes, order-dependent
 *   keys (SERIAL, nextval) and unknown tables make the template unknown.
 * @module
 */
import { tokenizeCypher } from "@kuzu-sync/protocol";
import { Unknown } from "./cypher-walker.ts";
import { StatementReader } from "./footprint-reader.ts";
import type { SchemaTables } from "./schema-tables.ts";

/** One part of an entity key: fixed text (a table name, a literal key), or an event parameter. */
export type KeyPart = string | { readonly param: string };

/** One entity (or a whole table, `key: null`) a template reads or writes. */
export interface Access {
  readonly write: boolean;
  /** Upper-cased table name. */
  readonly table: string;
  readonly key: readonly KeyPart[] | null;
}

/** A template's footprint, or why it could not be derived (then the template is a barrier). */
export type Footprint = { readonly known: true; readonly accesses: readonly Access[] } | { readonly known: false; readonly reason: string };

/**
 * Derive the footprint of a template's statements (its single form).
 * @example
 * const f = deriveFootprint(["MATCH (a:User {id: $followerId}), (b:User {id: $targetId}) MERGE (a)-[:FOLLOWS]->(b)"], tables);
 * // reads USER[$followerId], USER[$targetId]; writes FOLLOWS[USER, $followerId, USER, $targetId]
 */
export function deriveFootprint(statements: readonly string[], tables: SchemaTables): Footprint {
  if (tables.unknown !== null) return { known: false, reason: tables.unknown };
  const accesses = new Map<string, Access>();
  for (const statement of statements) {
    const lexed = tokenizeCypher(statement);
    if (!lexed.ok) return { known: false, reason: `cannot tokenize: ${lexed.message}` };
    try {
      new StatementReader(lexed.tokens, tables, accesses).read();
    } catch (error) {
      if (error instanceof Unknown) return { known: false, reason: error.reason };
      throw error;
    }
  }
  return { known: true, accesses: [...accesses.values()] };
}

/** An access of one event: the key filled in from its parameters (null: the whole table). */
export interface EntityAccess {
  readonly write: boolean;
  readonly table: string;
  readonly key: string | null;
}

/**
 * The entities one event touches.
 * @example entityAccesses(footprint.accesses, { id: "u1" }) // [{ write: true, table: "USER", key: "u1" }]
 */
export function entityAccesses(accesses: readonly Access[], params: Readonly<Record<string, unknown>>): EntityAccess[] {
  return accesses.map((a) => ({ write: a.write, table: a.table, key: accessKey(a, params) }));
}

/**
 * The key one access of an event touches, as text (null: the whole table).
 * @example accessKey({ write: true, table: "USER", key: [{ param: "id" }] }, { id: "u1" }) // "u1"
 */
export function accessKey(a: Access, params: Readonly<Record<string, unknown>>): string | null {
  if (a.key === null) return null;
  if (a.key.length === 1) return keyText(a.key[0]!, params);
  return a.key.map((p) => keyText(p, params)).join("\u0000");
}

/**
 * A key value as text. Values that Kuzu could cast to the same key (`1` and `"1"`) get the same
 * text: a false conflict only costs a layer, a missed one would reorder two dependent events.
 */
function keyText(part: KeyPart, params: Readonly<Record<string, unknown>>): string {
  if (typeof part === "string") return part;
  const v = params[part.param];
  if (v === undefined || v === null) return "\u0001null";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}
