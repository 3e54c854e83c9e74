/**
 * Names that belong to kuzu-sync and to Kuzu, not to a deployment's data: the table where every
 * replica keeps its applied seq and registry hash, and Kuzu's internal fields. Raw DML may never
 * name them, and neither may a registry (see {@link checkRegistryInternals}).
 * @module
 */
import { statementsOf, type Statements } from "./registry-check.ts";

/**
 * The node table each replica keeps its state in (`KuzuSyncMeta {k: 'state', seq, hash}`). Kuzu
 * table names are case-insensitive, so any spelling names it.
 * @example INTERNAL_TABLE // "KuzuSyncMeta"
 */
export const INTERNAL_TABLE = "KuzuSyncMeta";

const INTERNAL_TABLE_PATTERN = new RegExp(INTERNAL_TABLE, "i");

/** A template's statements as the check reads them (one statement or a list). */
type TemplateTexts = { readonly cypher: Statements; readonly batch?: { readonly cypher: Statements } };

/** The parts of a registry its statements live in (a `RegistryDefinition` or a `WireRegistry`). */
export interface RegistryTexts {
  readonly schema: readonly string[];
  readonly templates: Readonly<Record<string, TemplateTexts>> | readonly (TemplateTexts & { readonly name: string })[];
}

/**
 * Every place a registry names the internal table, in any spelling (backticks, any case, even in a
 * string or comment: a template has no business mentioning it). Empty when there is none. Meant
 * to be called when a registry is loaded, so such a registry stops start-up.
 * @example
 * checkRegistryInternals({ schema: [], templates: { EVIL: { cypher: "MATCH (m:`kuzusyncmeta`) DETACH DELETE m" } } });
 * // ["template EVIL names kuzu-sync's internal table KuzuSyncMeta"]
 */
export function checkRegistryInternals(registry: RegistryTexts): string[] {
  const problems: string[] = [];
  const why = `names kuzu-sync's internal table ${INTERNAL_TABLE}, which holds each replica's applied seq and registry hash`;
  registry.schema.forEach((ddl, i) => {
    if (INTERNAL_TABLE_PATTERN.test(ddl)) problems.push(`schema statement ${i + 1} ${why}`);
  });
  const templates = Array.isArray(registry.templates)
    ? (registry.templates as readonly (TemplateTexts & { readonly name: string })[])
    : Object.entries(registry.templates as Readonly<Record<string, TemplateTexts>>).map(([name, t]) => ({ name, ...t }));
  const names = (text: Statements) => statementsOf(text).some((s) => INTERNAL_TABLE_PATTERN.test(s));
  for (const t of templates) {
    if (names(t.cypher)) problems.push(`template ${t.name} ${why}`);
    if (t.batch !== undefined && names(t.batch.cypher)) problems.push(`template ${t.name} (batch form) ${why}`);
  }
  return problems;
}
