/**
 * Archive segments and their manifests: the object layout in the bucket.
 *
 * - `events/<yyyy>/<mm>/<dd>/<fromSeq>-<toSeq>.ndjson.gz`: gzip NDJSON, one sequenced event per
 *   line, ascending and contiguous; the date is the UTC day of its events' server timestamps.
 * - `manifests/<fromSeq>-<toSeq>.json` (seqs zero-padded to 20 digits, so listings sort): the
 *   segment's key, range, count and the sha256 of its body. A segment counts as archived only once
 *   its manifest exists; an object under `events/` without one is debris of an interrupted run.
 * @module
 */
import { ErrorCode, SequencedEventSchema, SyncError, type SequencedEvent } from "@kuzu-sync/protocol";

export const SEGMENT_PREFIX = "events/";
export const MANIFEST_PREFIX = "manifests/";

/** One segment's manifest object. */
export interface SegmentManifest {
  readonly version: 1;
  readonly key: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly count: number;
  /** sha256 (hex) of the segment object's bytes as stored (the gzip body). */
  readonly sha256: string;
  readonly bytes: number;
  readonly firstServerTimestamp: number;
  readonly lastServerTimestamp: number;
  readonly archivedAt: string;
}

/** An encoded segment, ready to upload. */
export interface EncodedSegment {
  readonly key: string;
  readonly body: Uint8Array;
  readonly manifest: SegmentManifest;
}

function pad(seq: number): string {
  return String(seq).padStart(20, "0");
}

/** UTC day (`yyyy/mm/dd`) of a timestamp. */
export function dayPath(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${String(d.getUTCDate()).padStart(2, "0")}`;
}

/** Key of the segment holding `fromSeq..toSeq` whose first event has server timestamp `ms`. */
export function segmentKey(fromSeq: number, toSeq: number, ms: number): string {
  return `${SEGMENT_PREFIX}${dayPath(ms)}/${fromSeq}-${toSeq}.ndjson.gz`;
}

/** Key of the manifest of `fromSeq..toSeq`. */
export function manifestKey(fromSeq: number, toSeq: number): string {
  return `${MANIFEST_PREFIX}${pad(fromSeq)}-${pad(toSeq)}.json`;
}

export function sha256Hex(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

/**
 * The longest prefix of `events` that one segment may hold: at most `maxEvents`, all from the
 * UTC day of the first (so the date in the key is true for every event in it).
 * @example const take = segmentLength(events, 10_000);
 */
export function segmentLength(events: readonly SequencedEvent[], maxEvents: number): number {
  const first = events[0];
  if (!first) return 0;
  const day = dayPath(first.serverTimestamp);
  let n = 1;
  while (n < events.length && n < maxEvents && dayPath(events[n]!.serverTimestamp) === day) n++;
  return n;
}

/**
 * Encode contiguous, ascending events as one segment. The body is deterministic for the same
 * events, so re-uploading after a crash writes the same bytes.
 * @example
 * const seg = encodeSegment(events, new Date());
 * await store.put(seg.key, seg.body);
 */
export function encodeSegment(events: readonly SequencedEvent[], archivedAt: Date): EncodedSegment {
  const first = events[0];
  const last = events[events.length - 1];
  if (!first || !last) throw new SyncError(ErrorCode.INTERNAL, "cannot encode an empty segment");
  events.forEach((e, i) => {
    if (e.seq !== first.seq + i) throw new SyncError(ErrorCode.INTERNAL, `segment events are not contiguous at seq ${e.seq}`);
  });
  const text = events.map((e) => JSON.stringify(canonical(e))).join("\n") + "\n";
  const body = Bun.gzipSync(new TextEncoder().encode(text), { level: 6 });
  const key = segmentKey(first.seq, last.seq, first.serverTimestamp);
  return {
    key,
    body,
    manifest: {
      version: 1,
      key,
      fromSeq: first.seq,
      toSeq: last.seq,
      count: events.length,
      sha256: sha256Hex(body),
      bytes: body.byteLength,
      firstServerTimestamp: first.serverTimestamp,
      lastServerTimestamp: last.serverTimestamp,
      archivedAt: archivedAt.toISOString(),
    },
  };
}

/** Fixed field order, so the same event always serialises to the same line. */
function canonical(e: SequencedEvent): SequencedEvent {
  return {
    seq: e.seq,
    id: e.id,
    template: e.template,
    params: e.params,
    clientId: e.clientId,
    timestamp: e.timestamp,
    serverTimestamp: e.serverTimestamp,
    ...(e.traceparent === undefined ? {} : { traceparent: e.traceparent }),
  };
}

/**
 * Check a segment body against its manifest (sha256, size, then every line: a valid event, in
 * the manifest's range, contiguous, the right count) and return its events.
 * @example const events = decodeSegment(await store.get(m.key), m);
 */
export function decodeSegment(body: Uint8Array, manifest: SegmentManifest): SequencedEvent[] {
  const bad = (why: string) => new SyncError(ErrorCode.ARCHIVE_INCONSISTENT, `segment ${manifest.key} does not match its manifest: ${why}`);
  if (body.byteLength !== manifest.bytes) throw bad(`${body.byteLength} bytes, manifest says ${manifest.bytes}`);
  const sha = sha256Hex(body);
  if (sha !== manifest.sha256) throw bad(`sha256 ${sha}, manifest says ${manifest.sha256}`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Bun.gunzipSync(body as Uint8Array<ArrayBuffer>));
  } catch (cause) {
    throw new SyncError(ErrorCode.ARCHIVE_INCONSISTENT, `segment ${manifest.key} is not gzip UTF-8 text`, { cause });
  }
  const lines = text.split("\n");
  if (lines.pop() !== "") throw bad("the last line is not terminated");
  const events = lines.map((line, i) => {
    let parsed;
    try {
      parsed = SequencedEventSchema.safeParse(JSON.parse(line));
    } catch {
      throw bad(`line ${i + 1} is not JSON`);
    }
    if (!parsed.success) throw bad(`line ${i + 1} is not a sequenced event`);
    if (parsed.data.seq !== manifest.fromSeq + i) throw bad(`line ${i + 1} has seq ${parsed.data.seq}, expected ${manifest.fromSeq + i}`);
    return parsed.data;
  });
  if (events.length !== manifest.count) throw bad(`${events.length} events, manifest says ${manifest.count}`);
  if (events.length > 0 && events[events.length - 1]!.seq !== manifest.toSeq) throw bad(`ends at seq ${events[events.length - 1]!.seq}, manifest says ${manifest.toSeq}`);
  return events;
}

/** Parse and check a manifest object; `key` is where it was read from. */
export function parseManifest(key: string, bytes: Uint8Array): SegmentManifest {
  let m: Partial<SegmentManifest>;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes)) as Partial<SegmentManifest>;
  } catch (cause) {
    throw new SyncError(ErrorCode.ARCHIVE_INCONSISTENT, `manifest ${key} is not JSON`, { cause });
  }
  const int = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  if (
    m === null ||
    m.version !== 1 ||
    typeof m.key !== "string" ||
    !int(m.fromSeq) ||
    !int(m.toSeq) ||
    !int(m.count) ||
    !int(m.bytes) ||
    typeof m.sha256 !== "string" ||
    !/^[0-9a-f]{64}$/.test(m.sha256) ||
    m.fromSeq! < 1 ||
    m.toSeq! < m.fromSeq! ||
    m.count !== m.toSeq! - m.fromSeq! + 1
  ) {
    throw new SyncError(ErrorCode.ARCHIVE_INCONSISTENT, `manifest ${key} is malformed`);
  }
  if (key !== manifestKey(m.fromSeq!, m.toSeq!)) throw new SyncError(ErrorCode.ARCHIVE_INCONSISTENT, `manifest ${key} describes seqs ${m.fromSeq}-${m.toSeq}`);
  return m as SegmentManifest;
}

/**
 * Order manifests and check they form one chain without overlap or gap; returns them sorted.
 * Overlap would mean an event archived twice; a gap, events lost.
 * @example const chain = checkChain(manifests); const archivedThrough = chain.at(-1)?.toSeq ?? 0;
 */
export function checkChain(manifests: readonly SegmentManifest[]): SegmentManifest[] {
  const sorted = [...manifests].sort((a, b) => a.fromSeq - b.fromSeq);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.fromSeq <= prev.toSeq) {
      throw new SyncError(ErrorCode.ARCHIVE_INCONSISTENT, `manifests overlap: ${prev.fromSeq}-${prev.toSeq} and ${cur.fromSeq}-${cur.toSeq}`);
    }
    if (cur.fromSeq !== prev.toSeq + 1) {
      throw new SyncError(ErrorCode.ARCHIVE_INCONSISTENT, `archive has a gap: seqs ${prev.toSeq + 1}-${cur.fromSeq - 1} are in no segment`);
    }
  }
  return sorted;
}
