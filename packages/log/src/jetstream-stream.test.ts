import { describe, expect, test } from "bun:test";
import { decodeLogRecord, encodeStreamEvent, logSubject, streamHorizon } from "./jetstream-stream.ts";

describe("the stream's conventions", () => {
  test("one log subject per stream, outside kuzu-sync.events.>", () => {
    expect(logSubject("S")).toBe("kuzu-sync.log.S");
  });

  test("a stream message body becomes a sequenced event with the stream seq; anything else is null", () => {
    const body = { id: "e1", template: "T", params: { a: 1 }, clientId: "c", timestamp: 10, serverTimestamp: 20 };
    expect(decodeLogRecord(body, 7)).toEqual({ id: "e1", template: "T", params: { a: 1 }, clientId: "c", timestamp: 10, seq: 7, serverTimestamp: 20 });
    expect(decodeLogRecord({ ...body, serverTimestamp: undefined }, 7)).toBeNull();
    expect(decodeLogRecord({ ...body, extra: true }, 7)).toBeNull();
    expect(decodeLogRecord([], 7)).toBeNull();
    expect(decodeLogRecord(null, 7)).toBeNull();
  });

  test("an encoded event decodes to itself with the stream seq", () => {
    const event = { id: "e1", template: "T", params: { a: [1, "x"] }, clientId: "c", timestamp: 10, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
    expect(decodeLogRecord(JSON.parse(encodeStreamEvent(event, 20)), 3)).toEqual({ ...event, seq: 3, serverTimestamp: 20 });
  });

  test("horizon: the first seq held, or last + 1 when the stream holds nothing", () => {
    expect(streamHorizon({ first_seq: 5, last_seq: 9, messages: 5 })).toBe(5);
    expect(streamHorizon({ first_seq: 10, last_seq: 9, messages: 0 })).toBe(10);
    expect(streamHorizon({ first_seq: 0, last_seq: 0, messages: 0 })).toBe(1);
  });
});
