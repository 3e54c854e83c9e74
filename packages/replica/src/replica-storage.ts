/**
 * A replica's database coming into and out of existence: opened with the state its meta table
 * holds, built from a directory `EXPORT DATABASE` wrote (a snapshot), exported to one. Each way in
 * leaves nothing open when it fails; the {@link Replica} built on the database is not yet involved.
 * @module
 */
import { dirname, existsSync, mkdirSync } from "#host-fs";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import * as k from "./kuzu.ts";
import { META_TABLE, readMeta, upgradeMetaColumns, type MetaState } from "./meta.ts";
import { checkExportedCypher } from "./snapshot-check.ts";
import { rewriteExportedSchema } from "./snapshot-schema.ts";

/** A database opened for a replica, and the replica state stored in it. */
export interface OpenedDatabase {
  readonly db: k.Database;
  readonly meta: MetaState | null;
}

/**
 * Open (or create) the database at `path` (null: in memory) and read its meta state, upgrading
 * the meta table of a replica from before registry versions.
 * @example const { db, meta } = await openReplicaDatabase("./data/replica.kuzu");
 */
export async function openReplicaDatabase(path: string | null): Promise<OpenedDatabase> {
  if (path !== null) mkdirSync(dirname(path), { recursive: true });
  const db = k.openDatabase(path);
  const conn = k.openConnection(db);
  let meta: MetaState | null;
  try {
    meta = await readMeta(conn, path ?? ":memory:");
    if (meta !== null && meta.version === null) await upgradeMetaColumns(conn);
  } catch (error) {
    await conn.close();
    await db.close();
    throw error;
  }
  await conn.close();
  return { db, meta };
}

/**
 * Build a database at `path` (which must not exist; null: in memory) from the snapshot directory
 * `dir` (Kuzu `IMPORT DATABASE`); its meta state comes from the snapshot's own meta table.
 * @example const { db, meta } = await importReplicaDatabase("/tmp/snap", "./replica.kuzu.new");
 */
export async function importReplicaDatabase(dir: string, path: string | null): Promise<OpenedDatabase> {
  if (path !== null) {
    if (existsSync(path)) throw new SyncError(ErrorCode.INTERNAL, `cannot import a snapshot into ${path}: it already exists`);
    mkdirSync(dirname(path), { recursive: true });
  }
  checkExportedCypher(dir);
  const db = k.openDatabase(path);
  const conn = k.openConnection(db);
  let meta: MetaState | null;
  try {
    await k.run(conn, `IMPORT DATABASE ${quotePath(dir)}`);
    meta = await readMeta(conn, `snapshot in ${dir}`);
    if (meta === null) throw new SyncError(ErrorCode.INTERNAL, `snapshot in ${dir} has no ${META_TABLE} state`);
    if (meta.version === null) await upgradeMetaColumns(conn);
  } catch (error) {
    await conn.close();
    await db.close();
    throw error instanceof SyncError ? error : new SyncError(ErrorCode.INTERNAL, `cannot import snapshot ${dir}: ${String(error)}`, { cause: error });
  }
  await conn.close();
  return { db, meta };
}

/**
 * `EXPORT DATABASE` (Parquet) on `write` to `dir`, which must not exist yet; `schema` (the
 * registry's, if known) replaces the exported schema statements.
 * @example await exportReplicaDatabase(h.write, "/tmp/snap", registry.schema);
 */
export async function exportReplicaDatabase(write: k.Connection, dir: string, schema: readonly string[] | null): Promise<void> {
  if (existsSync(dir)) throw new SyncError(ErrorCode.INTERNAL, `cannot export to ${dir}: it already exists`);
  await k.run(write, `EXPORT DATABASE ${quotePath(dir)} (format='parquet')`);
  // Kuzu's export drops column defaults; put the declared statements back (snapshot-schema.ts).
  if (schema !== null) rewriteExportedSchema(dir, schema);
}

/** A path as a Cypher string literal; paths come from our own temp dirs, but never splice blindly. */
function quotePath(path: string): string {
  if (/['\\\n\r]/.test(path)) throw new SyncError(ErrorCode.INTERNAL, `path ${JSON.stringify(path)} contains a quote, backslash or newline`);
  return `'${path}'`;
}
