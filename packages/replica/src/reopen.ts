/**
 * The way back from a rollback. Kuzu 0.11 (its last release) can corrupt a row's version chain
 * when a transaction that changed the row in place (SET) is rolled back while an earlier committed
 * change of that row is not checkpointed yet: afterwards, about two runs in three, every update
 * of the row fails with "Write-write conflict of updating the same row" (a node) or crashes the
 * process (a relationship), even in later transactions. Inserts and deletes roll back cleanly.
 * Reopening the database drops the corrupt in-memory state (a persistent one replays its WAL); an
 * in-memory one is exported and imported into a fresh database. So a replica reopens after every
 * rollback of a transaction that ran an updating statement — rare: only when an event fails.
 * @module
 */
import { join, mkdtempSync, rmSync, tmpdir } from "#host-fs";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import * as k from "./kuzu.ts";

/**
 * Close `db` (its connections must be closed, except `write`, which is used for an in-memory
 * export and closed here) and open it again; returns the new database.
 * @example db = await reopenDatabase(path, db, write);
 */
export async function reopenDatabase(path: string | null, db: k.Database, write: k.Connection): Promise<k.Database> {
  if (path !== null) {
    await write.close();
    await db.close();
    return k.openDatabase(path);
  }
  const dir = mkdtempSync(join(tmpdir(), "kuzu-sync-reopen-"));
  try {
    const exported = join(dir, "db");
    if (/['\\\n\r]/.test(exported)) throw new SyncError(ErrorCode.INTERNAL, `temp dir ${JSON.stringify(exported)} cannot be quoted`);
    await k.run(write, `EXPORT DATABASE '${exported}' (format='parquet')`);
    await write.close();
    await db.close();
    const fresh = k.openDatabase(null);
    const conn = k.openConnection(fresh);
    try {
      await k.run(conn, `IMPORT DATABASE '${exported}'`);
    } catch (cause) {
      await conn.close();
      await fresh.close();
      throw new SyncError(ErrorCode.INTERNAL, `cannot rebuild the in-memory replica after a rollback: ${String(cause)}`, { cause });
    }
    await conn.close();
    return fresh;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
