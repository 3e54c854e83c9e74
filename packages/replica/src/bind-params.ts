/**
 * The parameters each prepared statement of a template is executed with. Kuzu 0.11 refuses both a
 * missing and an extra parameter, and a template may be a list of statements that each name only
 * some of its parameters.
 * @module
 */
import { tokenizeCypher, type WireTemplate } from "@kuzu-sync/protocol";

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
 * The `$names` a statement uses, in order of first use; null when the text cannot be tokenized
 * (then it gets every parameter, and Kuzu says what is wrong).
 * @example statementParams("MATCH (u:User {id: $id}) SET u.name = $name") // ["id", "name"]
 */
export function statementParams(statement: string): readonly string[] | null {
  const lexed = tokenizeCypher(statement);
  if (!lexed.ok) return null;
  const names = new Set<string>();
  for (const t of lexed.tokens) if (t.kind === "param") names.add(t.text.slice(1));
  return [...names];
}

/**
 * `bound` narrowed to `names` (all of it when `names` is null).
 * @example pickParams({ id: "u1", name: "A" }, ["id"]) // { id: "u1" }
 */
export function pickParams(bound: Readonly<Record<string, unknown>>, names: readonly string[] | null): Record<string, unknown> {
  if (names === null) return { ...bound };
  const out: Record<string, unknown> = {};
  for (const name of names) if (name in bound) out[name] = bound[name];
  return out;
}
