/**
 * kuzu-sync's own table inside every replica: the applied seq, and the registry the replica runs
 * (version, hash and its whole wire form, so a replica that was offline across upgrades applies
 * the events before the next registry event with the templates that were in force for them). It
 * is written in the same transaction as the events' effects.
 * @module
 */
import { ErrorCode, SyncError, WireRegistrySchema, type WireRegistry } from "@kuzu-sync/protocol";
import { existsSync } from "#host-fs";
import * as k from "./kuzu.ts";

/** Table holding the applied seq and the registry, inside the replica itself. */
export const META_TABLE = "KuzuSyncMeta";

/** Columns beyond `k`, `seq` and `hash`, added in place to replicas made before registry versions. */
const LATER_COLUMNS = [
  ["version", "INT64"],
  ["registry", "STRING"],
] as const;

const META_DDL = `CREATE NODE TABLE ${META_TABLE}(k STRING, seq INT64, hash STRING, ${LATER_COLUMNS.map(([n, t]) => `${n} ${t}`).join(", ")}, PRIMARY KEY(k))`;

/** What the meta table says. `registry` is null for a replica made before registry versions. */
export interface MetaState {
  readonly seq: number;
  readonly hash: string;
  readonly version: number | null;
  readonly registry: WireRegistry | null;
}

/**
 * The replica's state, or null when the database holds no tables at all (a new replica). A
 * database with tables but no meta table is someone else's: refused.
 * @example const state = await readMeta(conn, path);
 */
export async function readMeta(conn: k.Connection, where: string): Promise<MetaState | null> {
  const tables = await k.run(conn, "CALL show_tables() RETURN name");
  if (!tables.some((t) => t["name"] === META_TABLE)) {
    if (tables.length > 0) throw new SyncError(ErrorCode.REGISTRY_MISMATCH, `${where} holds tables but is not a kuzu-sync replica`);
    return null;
  }
  const columns = new Set((await k.run(conn, `CALL table_info('${META_TABLE}') RETURN name`)).map((c) => String(c["name"])));
  const extra = LATER_COLUMNS.filter(([n]) => columns.has(n)).map(([n]) => `, m.${n} AS ${n}`).join("");
  const rows = await k.run(conn, `MATCH (m:${META_TABLE} {k: 'state'}) RETURN m.seq AS seq, m.hash AS hash${extra}`);
  const row = rows[0];
  if (!row || typeof row["hash"] !== "string") throw new SyncError(ErrorCode.INTERNAL, `${where} has no ${META_TABLE} state`);
  let registry: WireRegistry | null = null;
  if (typeof row["registry"] === "string") {
    const parsed = WireRegistrySchema.safeParse(JSON.parse(row["registry"]));
    if (!parsed.success) throw new SyncError(ErrorCode.INTERNAL, `${where}: the registry stored in ${META_TABLE} is unreadable`);
    registry = parsed.data as WireRegistry;
  }
  const version = row["version"] === null || row["version"] === undefined ? null : Number(row["version"]);
  return { seq: Number(row["seq"]), hash: row["hash"], version, registry };
}

/**
 * Give a replica made before registry versions the columns it lacks (in place, no data moved).
 * @example await upgradeMetaColumns(writeConn);
 */
export async function upgradeMetaColumns(conn: k.Connection): Promise<void> {
  const columns = new Set((await k.run(conn, `CALL table_info('${META_TABLE}') RETURN name`)).map((c) => String(c["name"])));
  for (const [name, type] of LATER_COLUMNS) if (!columns.has(name)) await k.run(conn, `ALTER TABLE ${META_TABLE} ADD ${name} ${type}`);
}

/**
 * Create the meta table and its state row at `seq` (inside the caller's transaction).
 * @example await createMeta(conn, 0, registry);
 */
export async function createMeta(conn: k.Connection, seq: number, registry: WireRegistry): Promise<void> {
  await k.run(conn, META_DDL);
  await k.run(conn, `CREATE (:${META_TABLE} {k: 'state', seq: $seq, hash: $hash, version: $version, registry: $registry})`, registryFields(seq, registry));
}

/**
 * Record that the replica runs `registry` from now on (inside the caller's transaction).
 * @example await writeRegistry(conn, seq, change.registry);
 */
export async function writeRegistry(conn: k.Connection, seq: number, registry: WireRegistry): Promise<void> {
  await k.run(conn, `MATCH (m:${META_TABLE} {k: 'state'}) SET m.seq = $seq, m.hash = $hash, m.version = $version, m.registry = $registry`, registryFields(seq, registry));
}

/** The statement that moves the applied seq; prepared once per replica. */
export const SET_SEQ = `MATCH (m:${META_TABLE} {k: 'state'}) SET m.seq = $seq`;

function registryFields(seq: number, registry: WireRegistry): Record<string, unknown> {
  return { seq, hash: registry.hash, version: registry.version, registry: JSON.stringify(registry) };
}

/**
 * What the replica at `path` says about itself, read without changing anything (read-only); null
 * when there is no replica there. Throws when it cannot be opened (e.g. a gateway holds it).
 * @example const state = await peekReplica("./data/replica/db.kuzu");
 */
export async function peekReplica(path: string): Promise<MetaState | null> {
  if (!existsSync(path)) return null;
  const db = k.openDatabase(path, { readOnly: true });
  const conn = k.openConnection(db);
  try {
    return await readMeta(conn, path);
  } finally {
    await conn.close();
    await db.close();
  }
}
