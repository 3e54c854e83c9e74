/**
 * @kuzu-sync/replica in a browser (the `browser` export condition): the replica over `kuzu-wasm`,
 * in memory. Snapshot archives (tar files on disk, `IMPORT/EXPORT DATABASE` of host directories)
 * and graph digests stay on the Bun side (index.ts): a browser replica catches up from the log.
 * @module
 */
export { META_TABLE, Replica } from "./replica.ts";
export type { ApplyOutcome, ExportedSnapshot, ReplicaOptions } from "./replica.ts";
export { Overlay } from "./overlay.ts";
export type { Change, OverlayHost } from "./overlay.ts";
export type { EntityAccess } from "./footprint.ts";
export { conflicts, overlapsReads } from "./access-overlap.ts";
export type { ReplicaAtRest } from "./replica.ts";
export { classifyApplyError } from "./apply-errors.ts";
export type { ApplyErrorClass } from "./apply-errors.ts";
export { CrashGuard, DEFAULT_CRASH_LIMIT } from "./crash-guard.ts";
export type { CrashGuardOptions, PoisonedEvent } from "./crash-guard.ts";
