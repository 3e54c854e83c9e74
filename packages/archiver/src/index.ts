/**
 * @kuzu-sync/archiver — moves events older than the retention from the hot log to S3 (gzip NDJSON
 * segments with manifests), verifies them, and reads them back. The `sync-archiver` bin wires it up.
 * @module
 */
export type { ArchivableLog, PurgeLimit } from "@kuzu-sync/log";
export { readCatalog, fetchSegment } from "./archive-catalog.ts";
export type { Catalog } from "./archive-catalog.ts";
export { replayIntoLog, restoreEvents, verifyArchive } from "./archive-inspect.ts";
export type { VerifyReport } from "./archive-inspect.ts";
export { ARCHIVE_STEPS, runArchive } from "./archive-run.ts";
export type { ArchiveProgress, ArchiveReport, ArchiveRunOptions, ArchiveStep } from "./archive-run.ts";
export { ArchiveStore } from "./archive-store.ts";
export type { S3Settings, StoredObject } from "./archive-store.ts";
export { createProgram, openLog } from "./cli.ts";
export type { CliIo } from "./cli.ts";
export { ConfigError, parseArchiverConfig, parseRunSettings } from "./config.ts";
export type { ArchiverConfig, LogSettings, RunSettings } from "./config.ts";
export { parseDuration } from "./duration.ts";
export { Progress } from "./progress.ts";
export {
  checkChain,
  decodeSegment,
  encodeSegment,
  manifestKey,
  MANIFEST_PREFIX,
  parseManifest,
  SEGMENT_PREFIX,
  segmentKey,
  segmentLength,
} from "./segment.ts";
export type { EncodedSegment, SegmentManifest } from "./segment.ts";
