/**
 * A template's statements as the replica runs them: prepared once per connection, each bound with
 * exactly the parameters it names (Kuzu 0.11 refuses both a missing and an extra one, and a
 * template may be a list of statements that each name only some of its parameters), and marked
 * when they update rows in place (see `reopen.ts` for why that matters on rollback).
 * @module
 */
import { statementsOf, tokenizeCypher, type Statements, type WireTemplate } from "@kuzu-sync/protocol";
import * as k from "./kuzu.ts";

/** One prepared statement of a template. */
export interface Statement {
  readonly prepared: k.PreparedStatement;
  /** The `$names` it uses; null when its text could not be tokenized (it gets every parameter). */
  readonly params: readonly string[] | null;
  /** It may change rows that existed before (SET, REMOVE; also `ON MATCH SET`). */
  readonly updates: boolean;
}

/**
 * Prepare every statement of `text` on `conn`.
 * @example const single = await prepareStatements(conn, template.cypher);
 */
export async function prepareStatements(conn: k.Connection, text: Statements): Promise<Statement[]> {
  const out: Statement[] = [];
  for (const statement of statementsOf(text)) out.push({ prepared: await k.prepare(conn, statement), ...describeStatement(statement) });
  return out;
}

/**
 * The parameters a statement uses, and whether it updates rows in place. Text that cannot be
 * tokenized counts as updating.
 * @example describeStatement("MATCH (u:User {id: $id}) SET u.name = $name") // { params: ["id", "name"], updates: true }
 */
export function describeStatement(statement: string): { params: readonly string[] | null; updates: boolean } {
  const lexed = tokenizeCypher(statement);
  if (!lexed.ok) return { params: null, updates: true };
  const names = new Set<string>();
  let updates = false;
  for (const t of lexed.tokens) {
    if (t.kind === "param") names.add(t.text.slice(1));
    if (t.kind === "word" && (t.value === "SET" || t.value === "REMOVE")) updates = true;
  }
  return { params: [...names], updates };
}

/**
 * The parameters an event's template is bound with: every declared one, an absent optional one
 * as null (Kuzu needs every `$name` bound).
 * @example
 * bindParams(template, { id: "u1", name: "Alice" }); // { id: "u1", name: "Alice", email: null }
 */
export function bindParams(template: WireTemplate, params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of template.paramNames) out[name] = params[name] ?? null;
  return out;
}

/**
 * Execute `statements` in order, each with the part of `bound` it names.
 * @example await execStatements(conn, compiled.single, bindParams(template, event.params));
 */
export async function execStatements(conn: k.Connection, statements: readonly Statement[], bound: Readonly<Record<string, unknown>>): Promise<void> {
  for (const st of statements) {
    if (st.params === null) {
      await k.exec(conn, st.prepared, { ...bound });
      continue;
    }
    const params: Record<string, unknown> = {};
    for (const name of st.params) if (name in bound) params[name] = bound[name];
    await k.exec(conn, st.prepared, params);
  }
}
