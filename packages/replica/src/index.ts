/**
 * @kuzu-sync/replica — the one KuzuDB adapter, used by gateway and clients alike: apply template
 * events in order, move whole replicas as snapshot archives, and digest a graph to compare replicas.
 * Under Bun it runs on the native `kuzu` addon; in a browser (the `browser` export condition,
 * index.browser.ts) on `kuzu-wasm`, whose worker script {@link wasmWorkerPath} names for bundlers.
 * @module
 */
export * from "./index.browser.ts";
export { peekReplica } from "./meta.ts";
export type { MetaState } from "./meta.ts";
export { SNAPSHOT_DESCRIPTOR, openSnapshotArchive, readSnapshotDescriptor, writeSnapshotArchive } from "./snapshot.ts";
export type { SnapshotArchive, SnapshotDescriptor, SnapshotDigest } from "./snapshot.ts";
export { DownloadError, downloadArchive } from "./download.ts";
export type { DownloadOptions, DownloadProgress, DownloadedArchive } from "./download.ts";
export { packDirectory, unpackArchive } from "./tar.ts";
export type { PackResult } from "./tar.ts";
export { diffGraphDumps, digestGraph, digestOfDump, digestReplica, dumpGraph } from "./graph-digest.ts";
export type { DumpOptions, GraphDigest, GraphDump, GraphReader, ReplicaDigest, TableDump } from "./graph-digest.ts";
export { ScratchGraph } from "./scratch-graph.ts";
export { checkMigration, checkRegistrySchema, templateStatements } from "./migration-check.ts";
export type { RegistryProblems } from "./migration-check.ts";
export { describeSchema, diffSchemas } from "./schema-shape.ts";
export type { ColumnShape, SchemaDifference, SchemaShape, TableShape } from "./schema-shape.ts";
export { wasmWorkerPath } from "./wasm-assets.ts";
export type { ScratchOutcome, ScratchTemplate } from "./scratch-graph.ts";
