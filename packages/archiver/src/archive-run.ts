/**
 * One archive pass. For each segment of events older than the cutoff, strictly in this order:
 * upload the segment → read it back and check sha256 and every line → write the manifest → read it
 * back → delete the range from the hot log and record the new horizon (one transaction). A pass
 * killed between any two steps leaves every event in the hot log, in the archive, or (between the
 * manifest and the delete) in both; the next pass finishes that: it resumes after the manifests'
 * highest seq, purges hot events the archive already holds (after checking their segments again),
 * and deletes segment objects that never got a manifest. So no event is ever lost, none is listed
 * in two manifests, and nothing leaves the hot log before its copy was read back and verified.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import type { ArchivableLog } from "@kuzu-sync/log";
import { silentLogger, type Logger } from "@kuzu-sync/telemetry";
import { fetchSegment, readCatalog } from "./archive-catalog.ts";
import type { ArchiveStore } from "./archive-store.ts";
import { decodeSegment, encodeSegment, manifestKey, parseManifest, segmentLength, type SegmentManifest } from "./segment.ts";

/** Points in a pass where a test may inject a crash (see `SYNC_ARCHIVER_CRASH_AT`). */
export type ArchiveStep = "uploaded" | "verified" | "manifest-written" | "purged";
export const ARCHIVE_STEPS: readonly ArchiveStep[] = ["uploaded", "verified", "manifest-written", "purged"];

export interface ArchiveProgress {
  readonly segments: number;
  readonly events: number;
  /** Highest seq handled so far. */
  readonly throughSeq: number;
}

export interface ArchiveRunOptions {
  readonly log: ArchivableLog;
  readonly store: ArchiveStore;
  /** Events whose server timestamp is strictly older than this (ms) are archived. */
  readonly cutoffMs: number;
  /** Most events per segment (segments also end at UTC midnight). */
  readonly segmentEvents: number;
  /** Plan only: read, encode and report, but upload and delete nothing. */
  readonly dryRun?: boolean;
  readonly logger?: Logger;
  readonly onProgress?: (p: ArchiveProgress) => void;
  /** Called after each step of each segment; a crash test throws or kills the process here. */
  readonly onStep?: (step: ArchiveStep, manifest: SegmentManifest) => void;
  readonly now?: () => Date;
}

export interface ArchiveReport {
  readonly dryRun: boolean;
  /** Segments written by this pass (planned, in a dry run). */
  readonly segments: readonly SegmentManifest[];
  readonly events: number;
  /** Hot events already in the archive (an earlier pass died before deleting them), now deleted. */
  readonly recovered: number;
  /** Segment objects without manifest, left by an interrupted pass, now deleted. */
  readonly orphansRemoved: number;
  /** First seq in the hot log after the pass. */
  readonly horizon: number;
  readonly head: number;
  /** Highest seq the archive holds after the pass. */
  readonly archivedThrough: number;
  /** Set when old events stayed hot because a server replica has not applied them yet. */
  readonly heldBackAt: number | null;
  /** How the purge limit was found (gateways ignored, none recorded), for the operator. */
  readonly notes: readonly string[];
}

/**
 * @example
 * const report = await runArchive({ log, store, cutoffMs: Date.now() - 30 * 86_400_000, segmentEvents: 10_000 });
 * logger.info(`${report.events} events in ${report.segments.length} segments`);
 */
export async function runArchive(options: ArchiveRunOptions): Promise<ArchiveReport> {
  const { log, store } = options;
  const logger = options.logger ?? silentLogger;
  const dryRun = options.dryRun ?? false;
  const now = options.now ?? (() => new Date());
  if (!Number.isSafeInteger(options.segmentEvents) || options.segmentEvents < 1) {
    throw new SyncError(ErrorCode.INTERNAL, `segmentEvents must be a positive integer, got ${options.segmentEvents}`);
  }

  await store.checkBucket();
  await using _lock = await log.lock();
  const catalog = await readCatalog(store);
  let archivedThrough = catalog.archivedThrough;
  let horizon = await log.horizon();
  const head = await log.head();
  const { seq: limit, notes } = await log.purgeLimit();
  for (const note of notes) logger.info(`archive: ${note}`);

  if (horizon > archivedThrough + 1) {
    throw new SyncError(
      ErrorCode.ARCHIVE_INCONSISTENT,
      `the hot log ${log.location} starts at seq ${horizon} but the archive ends at ${archivedThrough}: seqs ${archivedThrough + 1}-${horizon - 1} are in neither; nothing was changed`,
    );
  }
  const first = catalog.manifests[0];
  if (first && first.fromSeq > horizon) {
    throw new SyncError(ErrorCode.ARCHIVE_INCONSISTENT, `the archive starts at seq ${first.fromSeq} but the hot log at ${horizon}; nothing was changed`);
  }

  // 1. Finish what an interrupted pass left: hot events that are already archived.
  let recovered = 0;
  const recoverThrough = Math.min(archivedThrough, limit);
  if (horizon <= recoverThrough) {
    const covering = catalog.manifests.filter((m) => m.toSeq >= horizon && m.fromSeq <= recoverThrough);
    for (const m of covering) await fetchSegment(store, m); // verify again before deleting anything
    recovered = recoverThrough - horizon + 1;
    logger.info("archive: hot events already archived by an interrupted pass", { fromSeq: horizon, toSeq: recoverThrough, dryRun });
    if (!dryRun) {
      await log.purgeThrough(recoverThrough);
      horizon = recoverThrough + 1;
    }
  }

  // 2. Debris: segments uploaded by a pass that died before their manifest. Their events are
  // still hot (nothing is deleted before the manifest), so the objects are garbage.
  if (!dryRun) {
    for (const o of catalog.orphans) {
      logger.info("archive: deleting segment without manifest", { key: o.key });
      await store.delete(o.key);
    }
  }

  // 3. New segments.
  const written: SegmentManifest[] = [];
  let events = 0;
  let heldBackAt: number | null = null;
  let after = Math.max(archivedThrough, horizon - 1);
  for (;;) {
    const batch = await log.readOlderThan(options.cutoffMs, after, options.segmentEvents);
    if (batch.length === 0) break;
    if (batch[0]!.seq !== after + 1) {
      throw new SyncError(ErrorCode.ARCHIVE_INCONSISTENT, `expected seq ${after + 1} next in the hot log, found ${batch[0]!.seq}`);
    }
    const allowed = batch.filter((e) => e.seq <= limit);
    if (allowed.length < batch.length) heldBackAt = limit;
    const take = segmentLength(allowed, options.segmentEvents);
    if (take === 0) break;
    const segment = encodeSegment(allowed.slice(0, take), now());
    const m = segment.manifest;
    if (!dryRun) {
      await store.put(segment.key, segment.body, "application/x-ndjson");
      options.onStep?.("uploaded", m);
      const back = await store.get(segment.key);
      if (back === null) throw new SyncError(ErrorCode.ARCHIVE_UNAVAILABLE, `segment ${segment.key} is not readable right after upload; nothing deleted`);
      decodeSegment(back, m);
      options.onStep?.("verified", m);
      const mKey = manifestKey(m.fromSeq, m.toSeq);
      const manifestBytes = new TextEncoder().encode(JSON.stringify(m, null, 2));
      await store.put(mKey, manifestBytes, "application/json");
      const mBack = await store.get(mKey);
      if (mBack === null || JSON.stringify(parseManifest(mKey, mBack)) !== JSON.stringify(m)) {
        throw new SyncError(ErrorCode.ARCHIVE_INCONSISTENT, `manifest ${mKey} did not read back as written; nothing deleted`);
      }
      options.onStep?.("manifest-written", m);
      await log.purgeThrough(m.toSeq);
      options.onStep?.("purged", m);
      archivedThrough = m.toSeq;
      horizon = m.toSeq + 1;
    }
    written.push(m);
    events += m.count;
    after = m.toSeq;
    logger.info("archive: segment", { key: m.key, fromSeq: m.fromSeq, toSeq: m.toSeq, count: m.count, bytes: m.bytes, dryRun });
    options.onProgress?.({ segments: written.length, events, throughSeq: m.toSeq });
    if (take < allowed.length || allowed.length === batch.length) continue;
    break; // the rest of this batch is past the purge limit
  }

  return {
    dryRun,
    segments: written,
    events,
    recovered,
    orphansRemoved: dryRun ? 0 : catalog.orphans.length,
    horizon: dryRun ? horizon : await log.horizon(),
    head,
    archivedThrough: dryRun ? after : archivedThrough,
    heldBackAt,
    notes,
  };
}
