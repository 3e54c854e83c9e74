import { describe, expect, test } from "bun:test";
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { checkChain, decodeSegment, encodeSegment, manifestKey, parseManifest, segmentKey, segmentLength, type SegmentManifest } from "./segment.ts";

const t0 = Date.UTC(2026, 0, 31, 23, 0, 0); // one hour before midnight UTC

function ev(seq: number, at: number, extra: Partial<SequencedEvent> = {}): SequencedEvent {
  return { id: `e${seq}`, template: "CREATE_USER", params: { id: `u${seq}`, name: `n "${seq}" é\n` }, clientId: "c", timestamp: at - 1, seq, serverTimestamp: at, ...extra };
}

describe("segments", () => {
  test("keys follow events/<yyyy>/<mm>/<dd>/<from>-<to>.ndjson.gz; manifests sort by seq", () => {
    expect(segmentKey(1, 1000, t0)).toBe("events/2026/01/31/1-1000.ndjson.gz");
    expect(manifestKey(7, 12)).toBe("manifests/00000000000000000007-00000000000000000012.json");
    expect(manifestKey(10, 20) > manifestKey(9, 9)).toBe(true);
  });

  test("a segment ends at the size limit and at UTC midnight", () => {
    const events = [ev(1, t0), ev(2, t0 + 1000), ev(3, t0 + 3_600_000), ev(4, t0 + 3_600_001)];
    expect(segmentLength(events, 10)).toBe(2);
    expect(segmentLength(events, 1)).toBe(1);
    expect(segmentLength(events.slice(2), 10)).toBe(2);
    expect(segmentLength([], 10)).toBe(0);
  });

  test("encode/decode round-trips, deterministically, with a manifest that describes the body", () => {
    const events = [ev(5, t0), ev(6, t0, { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }), ev(7, t0 + 5)];
    const a = encodeSegment(events, new Date(0));
    const b = encodeSegment(events, new Date(0));
    expect(a.body).toEqual(b.body);
    expect(a.manifest).toMatchObject({ fromSeq: 5, toSeq: 7, count: 3, key: "events/2026/01/31/5-7.ndjson.gz", bytes: a.body.byteLength });
    expect(decodeSegment(a.body, a.manifest)).toEqual(events);
  });

  test("decode rejects a body that differs from its manifest in any way", () => {
    const seg = encodeSegment([ev(1, t0), ev(2, t0)], new Date(0));
    const flipped = seg.body.slice();
    flipped[flipped.length - 5]! ^= 0xff;
    expect(() => decodeSegment(flipped, seg.manifest)).toThrow(/sha256/);
    const other = encodeSegment([ev(1, t0), ev(2, t0 + 1)], new Date(0));
    expect(() => decodeSegment(other.body, seg.manifest)).toThrow(/does not match its manifest/);
    // A body whose sha256 matches a forged manifest still has to hold the seqs it claims.
    const forged: SegmentManifest = { ...seg.manifest, fromSeq: 2, toSeq: 3 };
    expect(() => decodeSegment(seg.body, forged)).toThrow(/line 1 has seq 1, expected 2/);
    expect(() => encodeSegment([ev(1, t0), ev(3, t0)], new Date(0))).toThrow(/not contiguous/);
  });

  test("manifests parse only when well-formed and stored under their own range", () => {
    const m = encodeSegment([ev(3, t0), ev(4, t0)], new Date(0)).manifest;
    const bytes = new TextEncoder().encode(JSON.stringify(m));
    expect(parseManifest(manifestKey(3, 4), bytes)).toEqual(m);
    expect(() => parseManifest(manifestKey(3, 5), bytes)).toThrow(/describes seqs 3-4/);
    expect(() => parseManifest("manifests/x.json", new TextEncoder().encode("{"))).toThrow(/not JSON/);
    expect(() => parseManifest(manifestKey(3, 4), new TextEncoder().encode(JSON.stringify({ ...m, count: 5 })))).toThrow(/malformed/);
  });

  test("the manifest chain must have no overlap and no gap", () => {
    const m = (from: number, to: number) => ({ ...encodeSegment([ev(from, t0)], new Date(0)).manifest, fromSeq: from, toSeq: to, count: to - from + 1 });
    expect(checkChain([m(11, 20), m(1, 10), m(21, 21)]).map((x) => x.fromSeq)).toEqual([1, 11, 21]);
    expect(checkChain([])).toEqual([]);
    expect(() => checkChain([m(1, 10), m(5, 20)])).toThrow(/overlap: 1-10 and 5-20/);
    expect(() => checkChain([m(1, 10), m(12, 20)])).toThrow(/gap: seqs 11-11/);
  });
});
