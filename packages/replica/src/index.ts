/**
 * @kuzu-sync/replica — the one KuzuDB adapter, used by gateway and clients alike: apply template
 * events in order, and move whole replicas as snapshot archives.
 * @module
 */
export { META_TABLE, Replica } from "./replica.ts";
export type { ApplyOutcome, ExportedSnapshot, ReplicaOptions } from "./replica.ts";
export { SNAPSHOT_DESCRIPTOR, openSnapshotArchive, readSnapshotDescriptor, writeSnapshotArchive } from "./snapshot.ts";
export type { SnapshotArchive, SnapshotDescriptor } from "./snapshot.ts";
export { DownloadError, downloadArchive } from "./download.ts";
export type { DownloadOptions, DownloadProgress, DownloadedArchive } from "./download.ts";
export { packDirectory, unpackArchive } from "./tar.ts";
export type { PackResult } from "./tar.ts";
