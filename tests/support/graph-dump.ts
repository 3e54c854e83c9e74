/**
 * The whole graph of a replica as plain, sorted data — every node and relationship with its
 * properties, relationships by their endpoints' properties, no internal ids — so two replicas can
 * be compared for equality whatever order they created things in.
 * @module
 */
import type { Replica } from "@kuzu-sync/replica";

export interface GraphDump {
  /** Table name → canonical JSON of each node, sorted. */
  readonly nodes: Record<string, string[]>;
  /** Table name → canonical JSON of each relationship (`{from, props, to}`), sorted; duplicates kept. */
  readonly rels: Record<string, string[]>;
}

/**
 * Dump every table the registry's DDL creates.
 * @example expect(await dumpGraph(batched, registry.schema)).toEqual(await dumpGraph(oneByOne, registry.schema));
 */
export async function dumpGraph(replica: Replica, schema: readonly string[]): Promise<GraphDump> {
  const nodes: Record<string, string[]> = {};
  const rels: Record<string, string[]> = {};
  for (const ddl of schema) {
    const m = /^\s*CREATE\s+(NODE|REL)\s+TABLE\s+(\w+)/i.exec(ddl);
    if (!m) throw new Error(`cannot dump a table of ${ddl}`);
    const [, kind, table] = m;
    if (kind!.toUpperCase() === "NODE") {
      const rows = await replica.query(`MATCH (n:${table}) RETURN n`);
      nodes[table!] = rows.map((r) => canonical(r["n"])).sort();
    } else {
      const rows = await replica.query(`MATCH (a)-[r:${table}]->(b) RETURN a, r, b`);
      rels[table!] = rows.map((r) => canonical({ from: r["a"], props: r["r"], to: r["b"] })).sort();
    }
  }
  return { nodes, rels };
}

/** JSON with sorted keys, internal fields (`_id`, `_src`, `_dst`) dropped, bigints as text. */
function canonical(value: unknown): string {
  const clean = (v: unknown): unknown => {
    if (typeof v === "bigint") return `${v}n`;
    if (Array.isArray(v)) return v.map(clean);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) if (k === "_label" || !k.startsWith("_")) out[k] = clean((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(clean(value));
}
