import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { ClientEvent } from "./event.ts";
import { ServerMessageSchema, encodeClientMessage, parseClientMessage } from "./messages.ts";
import { isWellFormed } from "./frame-shape.ts";
import { isPlainClientEvent, plainServerMessage } from "./plain-event.ts";

/** What the gateway's parse boundary says about an event frame: the full check. */
const gatewayAccepts = (event: ClientEvent): boolean => {
  let text: string;
  try {
    text = encodeClientMessage({ type: "event", event });
  } catch {
    return false;
  }
  return parseClientMessage(text).ok;
};

const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 6 }),
  fc.string({ unit: fc.constantFrom("a", " ", "\ud800", "\udc00", "😀", "é", "\u0000", '"'), maxLength: 4 }),
  fc.constantFrom("__proto__", "toJSON", "x".repeat(128), "x".repeat(129), ""),
);
const leaf = fc.oneof(text, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt(), fc.date(), fc.constant(Number.NaN));
const value = fc.letrec((tie) => ({
  v: fc.oneof({ maxDepth: 4 }, leaf, fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(text, tie("v"), { maxKeys: 3 })),
})).v;
const deep = fc.integer({ min: 10, max: 40 }).map((n) => {
  let v: unknown = "leaf";
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { k: v };
  return { nested: v };
});
const jsonParams = fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }).map((p) => JSON.parse(JSON.stringify(p)) as unknown);
const params = fc.oneof({ arbitrary: jsonParams, weight: 4 }, fc.dictionary(text, value, { maxKeys: 4 }), deep, fc.constantFrom(null, [], "p", 3, Object.create(null) as unknown, JSON.parse('{"__proto__": 1}') as unknown));
const event = fc.record(
  {
    id: fc.oneof({ arbitrary: fc.uuid(), weight: 4 }, text),
    template: fc.oneof({ arbitrary: fc.constantFrom("CREATE_USER", "T"), weight: 4 }, text),
    params,
    clientId: fc.oneof({ arbitrary: fc.uuid(), weight: 4 }, text),
    timestamp: fc.oneof({ arbitrary: fc.nat(), weight: 4 }, fc.double(), fc.constantFrom(-1, 2 ** 53, 1.5)),
    traceparent: fc.oneof(fc.constant("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), text, fc.constant(undefined)),
    extra: fc.constant(1),
  },
  { requiredKeys: [] },
)
  // fast-check may build null-prototype records; half of them as an application would build them
  .chain((e) => fc.constantFrom(e, { ...e })) as fc.Arbitrary<ClientEvent>;

describe("isPlainClientEvent", () => {
  test("says yes only to events the gateway's parse boundary accepts (generated events, hostile ones included)", () => {
    let yes = 0;
    fc.assert(
      fc.property(event, (e) => {
        if (!isPlainClientEvent(e)) return;
        yes++;
        expect(gatewayAccepts(e)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
    expect(yes).toBeGreaterThan(0);
  });

  test("says yes to what applications write: plain ids, JSON params, a traceparent", () => {
    fc.assert(
      fc.property(
        fc.record({ id: fc.uuid(), template: fc.constantFrom("CREATE_USER", "INCREMENT_COUNTER"), params: fc.string().filter((k) => k !== "__proto__" && isWellFormed(k)).chain((k) => fc.jsonValue({ maxDepth: 3 }).filter((v) => isWellFormed(JSON.stringify(v)) && !JSON.stringify(v).includes('"__proto__"')).map((v) => JSON.parse(JSON.stringify({ [k]: v })) as Record<string, unknown>)), clientId: fc.uuid(), timestamp: fc.nat() }),
        (generated) => {
          const e = { ...generated }; // as an application builds it (fast-check's records may have no prototype)
          expect(isPlainClientEvent(e)).toBe(true);
          expect(gatewayAccepts(e)).toBe(true);
        },
      ),
      { numRuns: 1_000 },
    );
    const traced = { id: "e1", template: "T", params: { a: [1, "x", null, { b: true }] }, clientId: "c", timestamp: 1, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
    expect(isPlainClientEvent(traced)).toBe(true);
  });

  test("anything unusual goes to the full check", () => {
    const base = { id: "e1", template: "T", params: {}, clientId: "c", timestamp: 0 };
    for (const e of [
      { ...base, id: "" },
      { ...base, id: "x".repeat(129) },
      { ...base, id: "evt-\ud800" },
      { ...base, id: "with space" },
      { ...base, timestamp: -1 },
      { ...base, timestamp: 1.5 },
      { ...base, traceparent: "nope" },
      { ...base, params: { n: 10n } },
      { ...base, params: { d: new Date(0) } },
      { ...base, params: { u: undefined } },
      { ...base, params: { s: "\udc00" } },
      { ...base, params: JSON.parse('{"__proto__": {}}') as Record<string, unknown> },
      { ...base, extra: true },
    ]) {
      expect(isPlainClientEvent(e as ClientEvent)).toBe(false);
    }
  });
});

const seqNumber = fc.oneof(fc.nat(), fc.constantFrom(0, -1, 1.5, 2 ** 53, Number.NaN), fc.string({ maxLength: 2 }));
const sequenced = fc
  .record(
    {
      id: fc.oneof(fc.uuid(), text),
      template: fc.oneof(fc.constant("T"), text),
      params: fc.oneof(fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), fc.constantFrom(null, [], "p", JSON.parse('{"__proto__": 1}') as unknown)),
      clientId: fc.oneof(fc.uuid(), text),
      timestamp: seqNumber,
      traceparent: fc.oneof(fc.constant("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), text),
      seq: seqNumber,
      serverTimestamp: seqNumber,
      duplicateOf: seqNumber,
      extra: fc.constant(true),
    },
    { requiredKeys: [] },
  )
  .map((e) => JSON.parse(JSON.stringify(e)) as unknown); // as decoded from a frame
const serverFrame = fc.oneof(
  fc.record({ type: fc.constant("events"), events: fc.array(sequenced, { maxLength: 3 }) }),
  fc.record({ type: fc.constant("events"), events: fc.constantFrom(null, "x", {}) }),
  fc.record({ type: fc.constant("ack"), id: fc.oneof(text, fc.integer()), seq: seqNumber, duplicate: fc.oneof(fc.boolean(), fc.constant(0)), extra: fc.constant(1) }, { requiredKeys: ["type"] }),
  fc.record({ type: fc.constantFrom("live", "reject", "error", "welcome"), seq: seqNumber }),
);

describe("plainServerMessage", () => {
  test("gives exactly what ServerMessageSchema gives, or leaves the frame to it (generated frames)", () => {
    let fast = 0;
    fc.assert(
      fc.property(serverFrame, (generated) => {
        const value = JSON.parse(JSON.stringify(generated)) as unknown;
        const plain = plainServerMessage(value);
        if (plain === undefined) return;
        fast++;
        const parsed = ServerMessageSchema.safeParse(value);
        expect(parsed.success).toBe(true);
        expect(plain).toStrictEqual(parsed.data as typeof plain);
        expect(JSON.stringify(plain)).toBe(JSON.stringify(parsed.data)); // same key order too
      }),
      { numRuns: 5_000 },
    );
    expect(fast).toBeGreaterThan(100);
  });

  test("a live frame as the gateway sends it takes the fast path", () => {
    const frame = { type: "events", events: [{ id: "e1", template: "T", params: { a: 1 }, clientId: "c", timestamp: 1, seq: 7, serverTimestamp: 2 }, { id: "e2", template: "T", params: {}, clientId: "c", timestamp: 1, seq: 8, serverTimestamp: 2, duplicateOf: 3 }] };
    expect(plainServerMessage(frame)).toStrictEqual(ServerMessageSchema.parse(frame) as ReturnType<typeof plainServerMessage>);
    expect(plainServerMessage({ type: "ack", id: "e1", seq: 7, duplicate: false })).toStrictEqual({ type: "ack", id: "e1", seq: 7, duplicate: false });
  });
});
