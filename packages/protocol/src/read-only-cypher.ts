/**
 * Guard for reads on a local replica: a write there would silently diverge it from every other
 * replica, so local queries may not contain write or admin clauses (writes go through templates).
 * @module
 */
import { tokenizeCypher } from "./cypher-lexer.ts";

const WRITE_WORDS: ReadonlySet<string> = new Set([
  "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "ALTER", "COPY", "LOAD", "INSTALL",
  "UNINSTALL", "ATTACH", "USE", "IMPORT", "EXPORT", "BEGIN", "COMMIT", "ROLLBACK", "CHECKPOINT",
]);

export type ReadOnlyCheck = { readonly ok: true } | { readonly ok: false; readonly message: string };

/**
 * Accepts a single statement with no write or admin keyword outside strings and comments.
 * @example checkReadOnlyCypher("MATCH (u:User) RETURN u.id") // { ok: true }
 * @example checkReadOnlyCypher("MATCH (u) DELETE u").ok      // false
 */
export function checkReadOnlyCypher(cypher: string): ReadOnlyCheck {
  const lexed = tokenizeCypher(cypher);
  if (!lexed.ok) return { ok: false, message: lexed.message };
  const tokens = lexed.tokens.filter((t) => t.kind !== "end");
  for (const [i, t] of tokens.entries()) {
    if (t.kind === "word" && WRITE_WORDS.has(t.value)) {
      return { ok: false, message: `local queries are read-only (found ${t.value}); write with a template through the server` };
    }
    if (t.kind === "punct" && t.value === ";" && i !== tokens.length - 1) return { ok: false, message: "one statement per query" };
  }
  if (tokens.length === 0) return { ok: false, message: "empty query" };
  return { ok: true };
}
