/**
 * What the bucket holds: every manifest (checked as one chain) and the segment objects, with the
 * ones no manifest refers to set apart as debris of interrupted runs.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import type { ArchiveStore, StoredObject } from "./archive-store.ts";
import { MANIFEST_PREFIX, SEGMENT_PREFIX, checkChain, decodeSegment, parseManifest, type SegmentManifest } from "./segment.ts";
import type { SequencedEvent } from "@kuzu-sync/protocol";

export interface Catalog {
  /** Sorted by seq, contiguous, no overlap. */
  readonly manifests: readonly SegmentManifest[];
  /** Highest archived seq (0 when nothing is archived). */
  readonly archivedThrough: number;
  /** Segment objects without a manifest: uploaded by a run that died before writing one. */
  readonly orphans: readonly StoredObject[];
  /** Manifests whose segment object is missing. */
  readonly missing: readonly SegmentManifest[];
}

/**
 * @example
 * const { manifests, archivedThrough } = await readCatalog(store);
 */
export async function readCatalog(store: ArchiveStore): Promise<Catalog> {
  const manifestObjects = await store.list(MANIFEST_PREFIX);
  const manifests: SegmentManifest[] = [];
  for (const o of manifestObjects) {
    const bytes = await store.get(o.key);
    if (bytes === null) continue; // deleted between list and get: not ours to judge
    manifests.push(parseManifest(o.key, bytes));
  }
  const chain = checkChain(manifests);
  const segments = await store.list(SEGMENT_PREFIX);
  const referenced = new Set(chain.map((m) => m.key));
  const present = new Set(segments.map((s) => s.key));
  return {
    manifests: chain,
    archivedThrough: chain[chain.length - 1]?.toSeq ?? 0,
    orphans: segments.filter((s) => !referenced.has(s.key)),
    missing: chain.filter((m) => !present.has(m.key)),
  };
}

/**
 * Download one segment and check it against its manifest.
 * @example const events = await fetchSegment(store, manifest);
 */
export async function fetchSegment(store: ArchiveStore, manifest: SegmentManifest): Promise<SequencedEvent[]> {
  const body = await store.get(manifest.key);
  if (body === null) throw new SyncError(ErrorCode.ARCHIVE_INCONSISTENT, `segment ${manifest.key} is missing (its manifest exists)`);
  return decodeSegment(body, manifest);
}
