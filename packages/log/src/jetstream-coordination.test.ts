import { describe, expect, test } from "bun:test";
import { archiveLockKey, decodeLogRecord, horizonSubject, parseReplicaPosition, replicaPositionFilter, replicaPositionKey } from "./jetstream-coordination.ts";

describe("JetStream log names and records", () => {
  test("keys and subjects name the stream; the filter matches exactly one token per gateway", () => {
    expect(replicaPositionKey("S", "g-1")).toBe("replica.S.g-1");
    expect(replicaPositionFilter("S")).toBe("replica.S.*");
    expect(archiveLockKey("S")).toBe("lock.S");
    expect(horizonSubject("S")).toBe("kuzu-sync.horizon.S");
  });

  test("replica positions: well-formed values only", () => {
    expect(parseReplicaPosition({ gateway: "g", seq: 5, recordedAt: 1 })).toEqual({ gateway: "g", seq: 5, recordedAt: 1 });
    for (const bad of [null, "x", { gateway: "g", seq: -1, recordedAt: 1 }, { gateway: "g", seq: 1.5, recordedAt: 1 }, { seq: 1, recordedAt: 1 }, { gateway: "g", seq: 1 }]) {
      expect(parseReplicaPosition(bad)).toBeNull();
    }
  });

  test("a stream message body becomes a sequenced event with the stream seq; anything else is null", () => {
    const body = { id: "e1", template: "T", params: { a: 1 }, clientId: "c", timestamp: 10, serverTimestamp: 20 };
    expect(decodeLogRecord(body, 7)).toEqual({ id: "e1", template: "T", params: { a: 1 }, clientId: "c", timestamp: 10, seq: 7, serverTimestamp: 20 });
    expect(decodeLogRecord({ ...body, serverTimestamp: undefined }, 7)).toBeNull();
    expect(decodeLogRecord({ ...body, extra: true }, 7)).toBeNull();
    expect(decodeLogRecord([], 7)).toBeNull();
    expect(decodeLogRecord(null, 7)).toBeNull();
  });
});
