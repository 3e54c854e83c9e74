/**
 * Kuzu 0.11's `EXPORT DATABASE` writes every table without its column defaults (`ALTER TABLE Task
 * ADD priority INT64 DEFAULT 0` and `CREATE … (n INT64 DEFAULT 3 …)` both come back as plain
 * columns), so a replica imported from a snapshot would store null where every other replica
 * stores the default: a silent divergence. The exporting replica knows the schema it was declared
 * with (its registry's `schema`; the registry checks prove the live tables equal it), so the
 * exported `schema.cypher` is rewritten with the declared statements, one per line, in Kuzu's
 * order. `copy.cypher` names its columns, so column order does not matter.
 * @module
 */
import { join, readFileSync, writeFileSync } from "#host-fs";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";

const CREATE = /^\s*CREATE\s+(NODE|REL)\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)\s*\(/i;

/** Table name and a one-line form of a declared `CREATE NODE|REL TABLE` statement; null for others. */
export function declaredTable(statement: string): { readonly name: string; readonly line: string } | null {
  const m = CREATE.exec(statement);
  if (!m) return null;
  const raw = m[2]!;
  const name = raw.startsWith("`") ? raw.slice(1, -1) : raw;
  // m[0] ends at the opening parenthesis of the column list.
  return { name, line: `CREATE ${m[1]!.toUpperCase()} TABLE \`${name}\` ${statement.slice(m[0].length - 1).trim()}` };
}

/**
 * Put the declared statements (with their defaults) in place of Kuzu's own in `dir/schema.cypher`.
 * Tables the declaration does not name (kuzu-sync's meta table) keep Kuzu's line.
 * @example rewriteExportedSchema(dir, registry.schema);
 */
export function rewriteExportedSchema(dir: string, declared: readonly string[]): void {
  const byName = new Map<string, string>();
  for (const s of declared) {
    const t = declaredTable(s);
    if (t === null) continue;
    byName.set(t.name, oneLine(t.line, t.name));
  }
  const path = join(dir, "schema.cypher");
  const lines = readFileSync(path, "utf8").split("\n");
  const out = lines.map((l) => {
    const t = declaredTable(l);
    const line = t === null ? undefined : byName.get(t.name);
    if (line === undefined) return l;
    return line.endsWith(";") ? line : `${line};`;
  });
  writeFileSync(path, out.join("\n"));
}

/** The statement on one line; a line break inside a string literal cannot be moved, so it is refused. */
function oneLine(statement: string, table: string): string {
  let quote: string | null = null;
  let out = "";
  for (let i = 0; i < statement.length; i++) {
    const c = statement[i]!;
    if (quote !== null) {
      if (c === "\n" || c === "\r") throw new SyncError(ErrorCode.INTERNAL, `the schema statement of table ${table} has a line break inside a string literal; it cannot be written to a snapshot`);
      if (c === "\\") {
        out += c + (statement[++i] ?? "");
        continue;
      }
      if (c === quote) quote = null;
      out += c;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    out += c === "\n" || c === "\r" || c === "\t" ? " " : c;
  }
  return out.replace(/ {2,}/g, " ").trim();
}
