import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ClientEventSchema, type SequencedEvent } from "@kuzu-sync/protocol";
import { decodeLogRecord, encodeStreamEvent, logSubject, streamHorizon } from "./jetstream-stream.ts";

/** What decodeLogRecord did before its hand-written fast path: the schema alone. */
function schemaDecode(body: unknown, seq: number): SequencedEvent | null {
  if (typeof body !== "object" || body === null) return null;
  const { serverTimestamp, ...rest } = body as Record<string, unknown>;
  const parsed = ClientEventSchema.safeParse(rest);
  if (!parsed.success || typeof serverTimestamp !== "number") return null;
  return { ...parsed.data, seq, serverTimestamp };
}

const id = fc.oneof(
  fc.uuid(),
  fc.string({ minLength: 0, maxLength: 130 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 12 }),
  fc.string({ unit: fc.constantFrom("a", "-", " ", "\ud800", "é", "\u0000"), minLength: 0, maxLength: 3 }),
  fc.constant("x".repeat(128)),
  fc.constant("x".repeat(129)),
  fc.integer(),
);
const number = fc.oneof(fc.integer({ min: -5, max: 2 ** 31 }), fc.double(), fc.constantFrom(2 ** 53, 2 ** 53 - 1, -0, Number.NaN, 1.5), fc.string());
const params = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })),
  fc.constantFrom(null, [], [1], "p", 3),
  fc.constant(JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}') as unknown),
  fc.constant(Object.create(null) as unknown),
);
const traceparent = fc.oneof(fc.constant("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), fc.string({ maxLength: 60 }), fc.integer());
const record = fc.record(
  { id, template: id, params, clientId: id, timestamp: number, traceparent, serverTimestamp: number, extra: fc.jsonValue({ maxDepth: 1 }) },
  { requiredKeys: [] },
);

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

  test("the hand-checked fast path decides exactly as ClientEventSchema does (generated records)", () => {
    fc.assert(
      fc.property(record, (body) => {
        expect(decodeLogRecord(body, 9)).toEqual(schemaDecode(body, 9));
      }),
      { numRuns: 3_000 },
    );
    // And for what gateways really write: valid events of every shape (a `__proto__` key is
    // refused at the gateway's parse boundary, so no stored event has one among its params).
    const paramKey = fc.string().filter((k) => k !== "__proto__");
    fc.assert(
      fc.property(fc.record({ id: fc.uuid(), template: fc.constantFrom("T", "CREATE_USER"), params: fc.dictionary(paramKey, fc.jsonValue()), clientId: fc.uuid(), timestamp: fc.nat() }), (event) => {
        const body = JSON.parse(encodeStreamEvent(event, 5)) as unknown;
        const decoded = decodeLogRecord(body, 3);
        expect(decoded).toEqual(schemaDecode(body, 3));
        expect(decoded).toEqual({ ...(JSON.parse(JSON.stringify(event)) as typeof event), seq: 3, serverTimestamp: 5 });
        expect(Object.keys(decoded!)).toEqual(Object.keys(schemaDecode(body, 3)!));
      }),
      { numRuns: 500 },
    );
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
