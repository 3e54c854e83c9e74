/**
 * @kuzu-sync/replica — the one KuzuDB adapter, used by gateway and clients alike: apply template
 * events in order, move whole replicas as snapshot archives, and digest a graph to compare replicas.
 * @module
 */
export { META_TABLE, Replica } from "./replica.ts";
export { peekReplica } from "./meta.ts";
export type { MetaState } from "./meta.ts";
export type { ApplyOutcome, ExportedSnapshot, ReplicaOptions } from "./replica.ts";
export { SNAPSHOT_DESCRIPTOR, openSnapshotArchive, readSnapshotDescriptor, writeSnapshotArchive } from "./snapshot.ts";
export type { SnapshotArchive, SnapshotDescriptor } from "./snapshot.ts";
export { DownloadError, downloadArchive } from "./download.ts";
export type { DownloadOptions, DownloadProgress, DownloadedArchive } from "./download.ts";
export { packDirectory, unpackArchive } from "./tar.ts";
export type { PackResult } from "./tar.ts";
export { diffGraphDumps, digestGraph, digestOfDump, dumpGraph } from "./graph-digest.ts";
export type { DumpOptions, GraphDigest, GraphDump, GraphReader, TableDump } from "./graph-digest.ts";
export { ScratchGraph } from "./scratch-graph.ts";
export { checkMigration, checkRegistrySchema, templateStatements } from "./migration-check.ts";
export type { RegistryProblems } from "./migration-check.ts";
export { describeSchema, diffSchemas } from "./schema-shape.ts";
export type { ColumnShape, SchemaDifference, SchemaShape, TableShape } from "./schema-shape.ts";
export type { ScratchOutcome, ScratchTemplate } from "./scratch-graph.ts";
