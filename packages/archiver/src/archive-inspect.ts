/**
 * Read-side commands over the archive: verify every segment against its manifest, and read back
 * (or put back into the hot log) a range of archived events.
 * @module
 */
import { ErrorCode, SyncError, type SequencedEvent } from "@kuzu-sync/protocol";
import type { ArchivableLog } from "@kuzu-sync/log";
import { fetchSegment, readCatalog, type Catalog } from "./archive-catalog.ts";
import type { ArchiveStore } from "./archive-store.ts";
import type { SegmentManifest } from "./segment.ts";

export interface VerifyReport {
  readonly catalog: Catalog;
  readonly segments: number;
  readonly events: number;
  /** One line per problem; empty when the archive is sound. */
  readonly problems: readonly string[];
  /** Hot log horizon, when a log was given. */
  readonly horizon: number | null;
}

/**
 * Download every segment and check it against its manifest; also check that the manifests form
 * one chain and, given the hot log, that archive and log together hold every seq.
 * @example
 * const report = await verifyArchive(store, log);
 * if (report.problems.length > 0) process.exitCode = 1;
 */
export async function verifyArchive(
  store: ArchiveStore,
  log: ArchivableLog | null,
  onProgress?: (done: number, total: number) => void,
): Promise<VerifyReport> {
  const catalog = await readCatalog(store); // throws ARCHIVE_INCONSISTENT on overlap or gap
  const problems: string[] = [];
  let events = 0;
  let done = 0;
  for (const m of catalog.manifests) {
    try {
      events += (await fetchSegment(store, m)).length;
    } catch (error) {
      if (!(error instanceof SyncError) || error.code !== ErrorCode.ARCHIVE_INCONSISTENT) throw error;
      problems.push(error.message);
    }
    onProgress?.(++done, catalog.manifests.length);
  }
  for (const o of catalog.orphans) problems.push(`segment ${o.key} has no manifest (left by an interrupted run; the next run deletes it)`);
  let horizon: number | null = null;
  if (log) {
    horizon = await log.horizon();
    if (horizon > catalog.archivedThrough + 1) {
      problems.push(`seqs ${catalog.archivedThrough + 1}-${horizon - 1} are neither archived nor in the hot log ${log.location}`);
    }
    const first = catalog.manifests[0];
    if (first && first.fromSeq > 1 && first.fromSeq > horizon) problems.push(`the archive starts at seq ${first.fromSeq}, after the hot log's horizon ${horizon}`);
  }
  return { catalog, segments: catalog.manifests.length, events, problems, horizon };
}

/**
 * Archived events `fromSeq..toSeq` (toSeq defaults to the last archived), each segment verified,
 * handed to `sink` in seq order. Returns how many were read.
 * @example await restoreEvents(store, 1, 500, (e) => out.write(`${JSON.stringify(e)}\n`));
 */
export async function restoreEvents(
  store: ArchiveStore,
  fromSeq: number,
  toSeq: number | null,
  sink: (event: SequencedEvent) => void | Promise<void>,
  catalog?: Catalog,
): Promise<number> {
  const cat = catalog ?? (await readCatalog(store));
  const last = toSeq ?? cat.archivedThrough;
  const first = cat.manifests[0];
  if (!first || fromSeq < first.fromSeq || fromSeq > cat.archivedThrough) {
    throw new SyncError(
      ErrorCode.NOT_FOUND,
      first ? `seq ${fromSeq} is not archived (the archive holds seqs ${first.fromSeq}-${cat.archivedThrough})` : "the archive is empty",
    );
  }
  if (last < fromSeq) throw new SyncError(ErrorCode.NOT_FOUND, `--to-seq ${last} is below --from-seq ${fromSeq}`);
  if (last > cat.archivedThrough) {
    throw new SyncError(ErrorCode.NOT_FOUND, `seq ${last} is not archived (the archive ends at ${cat.archivedThrough}; later events are in the hot log)`);
  }
  let n = 0;
  const covering: SegmentManifest[] = cat.manifests.filter((m) => m.toSeq >= fromSeq && m.fromSeq <= last);
  for (const m of covering) {
    for (const e of await fetchSegment(store, m)) {
      if (e.seq < fromSeq || e.seq > last) continue;
      await sink(e);
      n++;
    }
  }
  return n;
}

/**
 * Put archived events `fromSeq..horizon-1` back into the hot log (they stay in the archive; the
 * next `run` deletes them from the log again once they are older than its cutoff).
 * @example await replayIntoLog(store, log, 9_001);
 */
export async function replayIntoLog(store: ArchiveStore, log: ArchivableLog, fromSeq: number, toSeq: number | null): Promise<number> {
  if (!log.restoreBelowHorizon) throw new SyncError(ErrorCode.INTERNAL, `the log ${log.location} cannot take events back below its horizon`);
  await using _lock = await log.lock();
  const horizon = await log.horizon();
  if (toSeq !== null && toSeq !== horizon - 1) {
    throw new SyncError(ErrorCode.INTERNAL, `--replay restores up to the hot log's horizon: --to-seq must be ${horizon - 1} or absent`);
  }
  if (fromSeq >= horizon) throw new SyncError(ErrorCode.INTERNAL, `seq ${fromSeq} is still in the hot log (horizon ${horizon}); nothing to restore`);
  const events: SequencedEvent[] = [];
  await restoreEvents(store, fromSeq, horizon - 1, (e) => void events.push(e));
  await log.restoreBelowHorizon(events);
  return events.length;
}
