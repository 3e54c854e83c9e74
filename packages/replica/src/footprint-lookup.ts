/**
 * Footprints looked up against the registry a replica runs: what an event of a template may touch,
 * and what a read query may read, entity by entity (keys filled in from the parameters). The
 * analyses themselves are footprint.ts and read-footprint.ts; this is where the replica's
 * templates and schema meet an event or a query, for live queries and the optimistic overlay.
 * @module
 */
import { RAW_DML_TEMPLATE, REGISTRY_TEMPLATE } from "@kuzu-sync/protocol";
import type { CompiledTemplates } from "./compiled-templates.ts";
import { entityAccesses, type Access, type EntityAccess } from "./footprint.ts";
import { readFootprint } from "./read-footprint.ts";

/**
 * What an event of `template` with `params` reads and writes under `templates` (null: none
 * installed); null when that is not known, and the event may touch anything.
 * @example eventFootprint(templates, "UPDATE_USER", { id: "u1" }) // [{ write: true, table: "USER", key: "u1" }]
 */
export function eventFootprint(templates: CompiledTemplates | null, template: string, params: Readonly<Record<string, unknown>>): EntityAccess[] | null {
  if (templates === null || template === RAW_DML_TEMPLATE || template === REGISTRY_TEMPLATE) return null;
  let accesses: readonly Access[] | null;
  try {
    accesses = templates.compile(template).accesses;
  } catch {
    return null;
  }
  return accesses === null ? null : entityAccesses(accesses, params);
}

/**
 * What the read query `cypher` with `params` may read under `templates`' schema; null: anything.
 * @example queryReads(templates, "MATCH (u:User {id: $id}) RETURN u.name", { id: "u1" }) // [{ write: false, table: "USER", key: "u1" }]
 */
export function queryReads(templates: CompiledTemplates | null, cypher: string, params: Readonly<Record<string, unknown>>): EntityAccess[] | null {
  if (templates === null) return null;
  const accesses = readFootprint(cypher, templates.tables);
  return accesses === null ? null : entityAccesses(accesses, params);
}
