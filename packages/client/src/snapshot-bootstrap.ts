/**
 * Bootstrapping a client replica from the gateway's snapshot: download the archive over HTTP
 * (checking its sha256), import it into a fresh database (`IMPORT DATABASE` needs an empty one),
 * and swap it in place of the current replica. For a persistent replica the new database is built
 * beside `dbPath` and renamed over it, so a crash leaves either the old replica or the new one,
 * never a mix.
 * @module
 */
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { ErrorCode, SyncError, type SnapshotOffer } from "@kuzu-sync/protocol";
import { Replica, downloadArchive, openSnapshotArchive } from "@kuzu-sync/replica";
import type { BootstrapOptions, SnapshotProgress } from "./bootstrap-options.ts";

export type { BootstrapOptions, SnapshotProgress } from "./bootstrap-options.ts";

/** Whether this build can rebuild a replica from a snapshot (`#snapshot-bootstrap`: yes under Bun). */
export const SNAPSHOTS_SUPPORTED = true;

/** The HTTP URL of a snapshot offer, derived from the gateway's WebSocket URL. */
export function snapshotUrl(wsUrl: string, offer: SnapshotOffer): URL {
  const base = new URL(wsUrl);
  base.protocol = base.protocol === "wss:" ? "https:" : "http:";
  return new URL(offer.url, base);
}

/** Prefix of every scratch file a bootstrap leaves beside `dbPath` while it runs. */
function scratchPrefix(dbPath: string): string {
  return `${basename(dbPath)}.snapshot-`;
}

/** Remove what an interrupted bootstrap left beside `dbPath`. */
export function removeBootstrapLeftovers(dbPath: string): void {
  const dir = dirname(dbPath);
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f.startsWith(scratchPrefix(dbPath))) rmSync(join(dir, f), { recursive: true, force: true });
}

/**
 * Download the snapshot to `dest`, streaming, and check the sha256 the server announced.
 * @example await downloadSnapshot(new URL("http://127.0.0.1:8080/snapshot"), "/tmp/s.tar", console.log);
 */
export async function downloadSnapshot(
  url: URL,
  dest: string,
  onProgress: (p: SnapshotProgress) => void,
  signal?: AbortSignal,
  token?: string,
): Promise<{ seq: number | null }> {
  const { seq } = await downloadArchive(url, dest, {
    onProgress: (p) => onProgress({ phase: "download", ...p }),
    ...(signal ? { signal } : {}),
    ...(token ? { token } : {}),
  });
  return { seq };
}

/**
 * Download, import and swap. Resolves with the replica to use from now on (opened, at the
 * snapshot's seq; `install(registry)` still to be called). A failure before the swap leaves the
 * current replica open and untouched; one during the swap (rare: a failed rename) leaves it
 * closed, and the caller reopens `dbPath`.
 * @example
 * const replica = await bootstrapFromSnapshot({ wsUrl, offer, current, dbPath, accepts, logger, onProgress });
 */
export async function bootstrapFromSnapshot(o: BootstrapOptions): Promise<Replica> {
  const scratch = o.dbPath ? mkdtempSync(join(dirname(o.dbPath), scratchPrefix(o.dbPath))) : mkdtempSync(join(tmpdir(), "kuzu-sync-snapshot-"));
  try {
    const archive = join(scratch, "snapshot.tar");
    const { seq } = await downloadSnapshot(snapshotUrl(o.wsUrl, o.offer), archive, o.onProgress, o.signal, o.token);
    o.signal?.throwIfAborted();
    const bytes = Bun.file(archive).size;
    o.onProgress({ phase: "import", bytes, total: bytes, seq });
    const newPath = o.dbPath ? join(scratch, "db.kuzu") : null;
    const fresh = await openSnapshotArchive(archive, { path: newPath, logger: o.logger }, scratch);
    if (!o.accepts(fresh.registryVersion, fresh.registryHash)) {
      await fresh.close();
      throw new SyncError(ErrorCode.REGISTRY_MISMATCH, `the snapshot was built with registry ${fresh.registryVersion === null ? "" : `version ${fresh.registryVersion} `}${String(fresh.registryHash).slice(0, 12)}, which is none of the server's versions`);
    }
    if (!o.offer.required && fresh.appliedSeq <= o.current.appliedSeq) {
      // An offer, and the snapshot is no further than this replica: keep it, replay instead.
      await fresh.close();
      o.onProgress({ phase: "done", bytes, total: bytes, seq: o.current.appliedSeq });
      return o.current;
    }
    if (o.dbPath === null) {
      await o.current.close();
      o.onProgress({ phase: "done", bytes, total: bytes, seq: fresh.appliedSeq });
      return fresh;
    }
    await fresh.close();
    await o.current.close();
    // A cleanly closed Kuzu database is one file; a stale WAL beside it would be replayed onto
    // the new file, so it goes first. The rename is the atomic switch.
    rmSync(`${o.dbPath}.wal`, { force: true });
    renameSync(newPath!, o.dbPath);
    const swapped = await Replica.open({ path: o.dbPath, logger: o.logger });
    o.onProgress({ phase: "done", bytes, total: bytes, seq: swapped.appliedSeq });
    return swapped;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
