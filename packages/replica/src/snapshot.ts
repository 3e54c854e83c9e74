/**
 * Replica snapshots as one transferable file: `EXPORT DATABASE` (Parquet) plus a small
 * `snapshot.json`, packed as a tar. The gateway writes them from its server replica; a client
 * downloads one and builds a fresh replica from it instead of replaying the whole history.
 * @module
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import { digestGraph } from "./graph-digest.ts";
import { Replica, type ReplicaOptions } from "./replica.ts";
import { packDirectory, unpackArchive } from "./tar.ts";

/** Name of the descriptor file inside every snapshot archive. */
export const SNAPSHOT_DESCRIPTOR = "snapshot.json";

/** `snapshot.json`: what a snapshot archive holds. */
export interface SnapshotDescriptor {
  readonly format: "kuzu-sync-snapshot";
  readonly version: 1;
  /** The replica's applied seq at export: a client tails the log from here. */
  readonly seq: number;
  readonly registryHash: string;
  /** The registry version in force at `seq` (absent from snapshots made before registry versions). */
  readonly registryVersion?: number;
  /**
   * The graph's digest at `seq` (graph-digest.ts), taken with the export: a replica at `seq` that
   * differs from it has diverged. Absent from snapshots made before digests.
   */
  readonly digest?: SnapshotDigest;
  readonly createdAt: string;
}

/** The digest a snapshot carries: of the exported graph, at the snapshot's seq. */
export interface SnapshotDigest {
  readonly sha256: string;
  readonly nodes: number;
  readonly relationships: number;
}

/** A snapshot archive on disk. */
export interface SnapshotArchive {
  readonly path: string;
  readonly seq: number;
  readonly registryHash: string;
  readonly bytes: number;
  /** sha256 of the archive file, hex. */
  readonly sha256: string;
  /** The graph's digest at `seq` (as in its descriptor). */
  readonly digest: SnapshotDigest;
}

/**
 * Export `replica` and pack it into `outPath` (written to a temp name, then renamed, so a reader
 * never sees a half-written archive). The graph is digested at the same seq, between the same two
 * applied batches, and the digest goes into the descriptor.
 * @example
 * const snap = await writeSnapshotArchive(replica, "./data/snapshots/snapshot.tar");
 * // snap.seq, snap.sha256
 */
export async function writeSnapshotArchive(replica: Replica, outPath: string, workDir: string = tmpdir()): Promise<SnapshotArchive> {
  const scratch = mkdtempSync(join(workDir, "snapshot-export-"));
  const exportDir = join(scratch, "db");
  const partial = `${outPath}.partial-${process.pid}-${Date.now()}`;
  try {
    const { exported, digest } = await replica.atRest(async (r) => {
      const exported = await r.exportTo(exportDir);
      const { sha256, nodes, relationships } = await digestGraph(r);
      return { exported, digest: { sha256, nodes, relationships } };
    });
    const descriptor: SnapshotDescriptor = {
      format: "kuzu-sync-snapshot",
      version: 1,
      seq: exported.seq,
      registryHash: exported.registryHash,
      ...(exported.registryVersion === null ? {} : { registryVersion: exported.registryVersion }),
      digest,
      createdAt: new Date().toISOString(),
    };
    writeFileSync(join(exportDir, SNAPSHOT_DESCRIPTOR), JSON.stringify(descriptor));
    const packed = await packDirectory(exportDir, partial);
    renameSync(partial, outPath);
    return { path: outPath, seq: exported.seq, registryHash: exported.registryHash, bytes: packed.bytes, sha256: packed.sha256, digest };
  } finally {
    rmSync(partial, { force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Read and check `snapshot.json` from an unpacked snapshot directory. */
export function readSnapshotDescriptor(dir: string): SnapshotDescriptor {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(join(dir, SNAPSHOT_DESCRIPTOR), "utf8"));
  } catch (cause) {
    throw new SyncError(ErrorCode.BAD_MESSAGE, `snapshot has no readable ${SNAPSHOT_DESCRIPTOR}`, { cause });
  }
  const d = value as Partial<SnapshotDescriptor> | null;
  if (d?.format !== "kuzu-sync-snapshot" || d.version !== 1 || !Number.isSafeInteger(d.seq) || typeof d.registryHash !== "string") {
    throw new SyncError(ErrorCode.BAD_MESSAGE, `${SNAPSHOT_DESCRIPTOR} is not a kuzu-sync snapshot descriptor (version 1)`);
  }
  return d as SnapshotDescriptor;
}

/**
 * Build a replica from a snapshot archive: unpack into a scratch directory, check it, run
 * `IMPORT DATABASE` into `options.path` (which must not exist; null for in memory). The returned
 * replica's `appliedSeq` is the snapshot's seq; call `install(registry)` before applying events.
 * @example
 * const replica = await openSnapshotArchive("/tmp/snapshot.tar", { path: "./replica.kuzu.new" });
 */
export async function openSnapshotArchive(archivePath: string, options: ReplicaOptions = {}, workDir: string = tmpdir()): Promise<Replica> {
  const scratch = mkdtempSync(join(workDir, "snapshot-import-"));
  try {
    const dir = join(scratch, "db");
    await unpackArchive(archivePath, dir);
    const descriptor = readSnapshotDescriptor(dir);
    // IMPORT DATABASE reads every file in the directory; the descriptor is ours, not Kuzu's.
    rmSync(join(dir, SNAPSHOT_DESCRIPTOR));
    const replica = await Replica.importSnapshot(dir, options);
    if (replica.appliedSeq !== descriptor.seq || replica.registryHash !== descriptor.registryHash) {
      await replica.close();
      throw new SyncError(
        ErrorCode.BAD_MESSAGE,
        `snapshot descriptor says seq ${descriptor.seq}, registry ${descriptor.registryHash.slice(0, 12)}; its data says seq ${replica.appliedSeq}, registry ${String(replica.registryHash).slice(0, 12)}`,
      );
    }
    return replica;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
