import { describe, expect, test } from "bun:test";
import { archiveLockKey, horizonSubject, parseReplicaPosition, positionValue, replicaPositionFilter, replicaPositionKey } from "./jetstream-coordination.ts";

describe("what gateways and the archiver agree on in KV and on core NATS", () => {
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
    expect(parseReplicaPosition(JSON.parse(positionValue("g", 9, 123)))).toEqual({ gateway: "g", seq: 9, recordedAt: 123 });
  });
});
