/**
 * Property-based fuzzing of the gateway's parse boundary. The oracle below is written from the
 * message spec independently of the zod schemas, so the two are checked against each other.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ErrorCode, isErrorCode } from "./errors.ts";
import { Limits } from "./event.ts";
import { fuzzRuns, fuzzTimeout } from "./fuzz-runs.ts";
import { MAX_JSON_DEPTH, parseClientMessage, type ParseResult, type ClientMessage } from "./messages.ts";

const RUNS = fuzzRuns(400);

// ---- oracle -------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const has = (o: Obj, k: string): boolean => Object.hasOwn(o, k);
const exactKeys = (o: Obj, required: readonly string[], optional: readonly string[] = []): boolean =>
  required.every((k) => has(o, k)) && Object.keys(o).every((k) => required.includes(k) || optional.includes(k));
/** zod 4 measures string lengths in code points (a lone surrogate counts as one), not UTF-16 units. */
const codePoints = (s: string): number => [...s].length;
const isId = (v: unknown): boolean => typeof v === "string" && codePoints(v) >= 1 && codePoints(v) <= Limits.maxIdLength;
const isSeq = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

function isValidEvent(e: unknown): boolean {
  return (
    isObject(e) &&
    exactKeys(e, ["id", "template", "params", "clientId", "timestamp"], ["traceparent"]) &&
    isId(e["id"]) &&
    isId(e["template"]) &&
    isObject(e["params"]) &&
    isId(e["clientId"]) &&
    isSeq(e["timestamp"]) &&
    (!has(e, "traceparent") || (typeof e["traceparent"] === "string" && TRACEPARENT.test(e["traceparent"])))
  );
}

/** Whether a decoded frame is a client message, per docs: hello, event, dml, aggregate or applied, no extra keys. */
function isValidClientMessage(v: unknown): boolean {
  if (!isObject(v)) return false;
  switch (v["type"]) {
    case "hello":
      return (
        exactKeys(v, ["type", "clientId", "lastSeq"], ["registryHash"]) &&
        isId(v["clientId"]) &&
        isSeq(v["lastSeq"]) &&
        (!has(v, "registryHash") || (typeof v["registryHash"] === "string" && codePoints(v["registryHash"]) <= 128))
      );
    case "event":
      return exactKeys(v, ["type", "event"]) && isValidEvent(v["event"]);
    case "dml":
      return (
        exactKeys(v, ["type", "id", "clientId", "cypher", "timestamp"]) &&
        isId(v["id"]) &&
        isId(v["clientId"]) &&
        typeof v["cypher"] === "string" &&
        v["cypher"].length >= 1 &&
        codePoints(v["cypher"]) <= 65_536 &&
        isSeq(v["timestamp"])
      );
    case "aggregate":
      return (
        exactKeys(v, ["type", "id", "name"], ["key"]) &&
        isId(v["id"]) &&
        typeof v["name"] === "string" &&
        /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(v["name"]) &&
        (!has(v, "key") || (typeof v["key"] === "string" && codePoints(v["key"]) <= 1024))
      );
    case "applied":
      return exactKeys(v, ["type", "seq"]) && isSeq(v["seq"]);
    default:
      return false;
  }
}

type Expected =
  | { readonly ok: true; readonly value: unknown; readonly hasProtoKey: boolean }
  | { readonly ok: false; readonly code: ErrorCode; readonly id?: string };

/** A lone surrogate anywhere (the `u` flag reads a proper pair as one code point). */
const loneSurrogate = (s: string): boolean => /\p{Surrogate}/u.test(s);

/**
 * Where a string or key that is not well-formed UTF-16 sits: "params" (the event's params, or a
 * dml frame's cypher), "other", or nowhere. Outside the params wins.
 */
function illFormed(value: Obj): "params" | "other" | null {
  let found: "params" | "other" | null = null;
  const stack: [unknown, readonly (string | number)[]][] = [[value, []]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    const inParams = (value["type"] === "event" && path[0] === "event" && path[1] === "params" && path.length > 2) || (value["type"] === "dml" && path[0] === "cypher");
    const note = () => {
      if (!inParams) found = "other";
      else found ??= "params";
    };
    if (typeof v === "string") {
      if (loneSurrogate(v)) note();
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    for (const [k, child] of Object.entries(v)) {
      const childPath = [...path, Array.isArray(v) ? Number(k) : k];
      if (!Array.isArray(v) && loneSurrogate(k)) {
        const keyInParams = (value["type"] === "event" && childPath[0] === "event" && childPath[1] === "params" && childPath.length > 2) || (value["type"] === "dml" && childPath[0] === "cypher");
        if (!keyInParams) found = "other";
        else found ??= "params";
      }
      stack.push([child, childPath]);
    }
  }
  return found;
}

/** The id a refusal must carry: the frame's own event (or request) id, whatever it is, if it is a string. */
function frameId(value: Obj): string | undefined {
  const inner = isObject(value["event"]) ? value["event"]["id"] : value["id"];
  return typeof inner === "string" ? inner : undefined;
}

/** Whether an own `__proto__` key sits anywhere in a decoded value (iterative: values can be deep). */
function hasProtoKey(value: unknown): boolean {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    if (!Array.isArray(v) && Object.hasOwn(v, "__proto__")) return true;
    stack.push(...Object.values(v));
  }
  return false;
}

/** Deepest container nesting (a bare `{}` is 1), without recursion: values can be very deep. */
function containerDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (d > max) max = d;
    if (max > MAX_JSON_DEPTH) return max;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

function expected(text: string | undefined): Expected {
  if (text === undefined) return { ok: false, code: ErrorCode.BAD_FRAME };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: ErrorCode.BAD_FRAME };
  }
  if (!isObject(value)) return { ok: false, code: ErrorCode.BAD_FRAME };
  const id = frameId(value);
  const refused = (code: ErrorCode): Expected => ({ ok: false, code, ...(id === undefined ? {} : { id }) });
  // Documented limits the schemas cannot express: nesting depth and `__proto__` keys anywhere.
  if (containerDepth(value) > MAX_JSON_DEPTH || hasProtoKey(value)) return refused(ErrorCode.BAD_MESSAGE);
  // Every string and key well-formed UTF-16; in the params that is INVALID_PARAMS.
  const bad = illFormed(value);
  if (bad !== null) return refused(bad === "params" ? ErrorCode.INVALID_PARAMS : ErrorCode.BAD_MESSAGE);
  return isValidClientMessage(value) ? { ok: true, value, hasProtoKey: hasProtoKey(value) } : refused(ErrorCode.BAD_MESSAGE);
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The invariants every result must satisfy, and agreement with the oracle. */
function checkAgainstOracle(result: ParseResult<ClientMessage>, want: Expected): void {
  if (want.ok) {
    expect(result.ok).toBe(true);
    // Nothing a frame says may be changed on the way in.
    if (result.ok) expect(result.message).toEqual(want.value as ClientMessage);
    return;
  }
  if (result.ok) throw new Error(`accepted a frame the oracle refuses: ${JSON.stringify(result.message).slice(0, 300)}`);
  expect(isErrorCode(result.code)).toBe(true);
  expect(result.code).toBe(want.code);
  expect(typeof result.message).toBe("string");
  // The id a reject names is exactly the frame's own id string (empty, too long or ill-formed
  // included), so the sender can settle that event; none when the frame has no string id.
  expect(result.id).toBe(want.id);
}

// ---- generators ---------------------------------------------------------------------------

const anyString = fc.oneof(fc.string({ unit: "binary", maxLength: 140 }), fc.string({ maxLength: 140 }), fc.string({ unit: "grapheme", maxLength: 140 }));
const idLike = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 0, maxLength: 130 }) },
  { weight: 1, arbitrary: fc.constantFrom("", "x".repeat(128), "x".repeat(129), "é".repeat(128), "😀".repeat(64), "😀".repeat(65)) },
);
const seqLike = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER));
const hex = (length: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });
const traceparent = fc.tuple(hex(2), hex(32), hex(16), hex(2)).map((parts) => parts.join("-"));
const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("__proto__", "constructor", "prototype"));
const params = fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });

const hello = fc.record(
  { type: fc.constant("hello"), clientId: idLike, lastSeq: seqLike, registryHash: fc.string({ maxLength: 130 }) },
  { requiredKeys: ["type", "clientId", "lastSeq"] },
);
const clientEvent = fc.record(
  { id: idLike, template: idLike, params, clientId: idLike, timestamp: seqLike, traceparent: fc.oneof(traceparent, fc.string({ maxLength: 60 })) },
  { requiredKeys: ["id", "template", "params", "clientId", "timestamp"] },
);
const eventMessage = fc.record({ type: fc.constant("event"), event: clientEvent });
const dml = fc.record({ type: fc.constant("dml"), id: idLike, clientId: idLike, cypher: fc.string({ maxLength: 80 }), timestamp: seqLike });
const aggregate = fc.record(
  {
    type: fc.constant("aggregate"),
    id: idLike,
    name: fc.oneof(fc.constantFrom("counters", "postsByAuthor", "a".repeat(64), "a".repeat(65), "1a", "", "a-b", "a\n"), fc.string({ maxLength: 70 })),
    key: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("k".repeat(1024), "k".repeat(1025), "😀".repeat(1024))),
  },
  { requiredKeys: ["type", "id", "name"] },
);
const applied = fc.record({ type: fc.constant("applied"), seq: seqLike });
const message = fc.oneof(hello, eventMessage, dml, aggregate, applied);

/** JSON texts that JSON.stringify cannot produce, spliced in through a placeholder string. */
const RAW_NUMBERS = ["1e999", "-1e999", "1E400", "-0", "9007199254740993", "9007199254740992", "1.0", "0.1e1", "1e21", "-1", "0.5", "100000000000000000000000"];
const RAW = "\u0000raw:";
const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, false, [], {}, "", "x".repeat(129), "NaN", "Infinity", "-Infinity", "1e999", "0x10", " 1", "0", "null", "__proto__"),
  fc.constantFrom(-1, 1.5, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, 2 ** 64, -(2 ** 53)),
  fc.constantFrom(...RAW_NUMBERS.map((n) => RAW + n)),
  fc.integer({ min: 1, max: 3000 }).map((depth) => nest(depth)),
);
const extraKey = fc.oneof(fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "type", "event", "id"), fc.string({ maxLength: 10 }));

function nest(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
}

type Mutation = { readonly where: "top" | "event" | "params"; readonly op: "delete" | "set" | "add"; readonly pick: number; readonly key: string; readonly value: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  where: fc.constantFrom("top", "event", "params"),
  op: fc.constantFrom("delete", "set", "add"),
  pick: fc.nat(),
  key: extraKey,
  value: weird,
});

/** Applies mutations to a copy; `__proto__` becomes a real own key, as JSON.parse would make it. */
function mutate(original: Obj, mutations: readonly Mutation[]): Obj {
  const copy = structuredClone(original);
  for (const m of mutations) {
    const target = m.where === "top" ? copy : isObject(copy["event"]) ? (m.where === "event" ? copy["event"] : copy["event"]["params"]) : copy;
    if (!isObject(target)) continue;
    const keys = Object.keys(target);
    const existing = keys.length > 0 ? keys[m.pick % keys.length] : undefined;
    if (m.op === "delete" && existing !== undefined) delete target[existing];
    else Object.defineProperty(target, m.op === "set" && existing !== undefined ? existing : m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
  }
  return copy;
}

function frameOf(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000raw:([^"]*)"/g, "$1");
}

// ---- properties ---------------------------------------------------------------------------

describe("parseClientMessage (fuzzed)", () => {
  test("arbitrary strings: never throws, agrees with the oracle", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.json({ maxDepth: 4 }), message.map(frameOf)), (text) => {
        checkAgainstOracle(parseClientMessage(text), expected(text));
      }),
      { numRuns: RUNS },
    );
  }, fuzzTimeout());

  test("arbitrary bytes (incl. invalid UTF-8) as Uint8Array, ArrayBuffer and DataView", () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      message.map((m) => new TextEncoder().encode(frameOf(m))),
      fc.tuple(message, fc.nat(), fc.integer({ min: 0x80, max: 0xff })).map(([m, at, b]) => {
        const encoded = new TextEncoder().encode(frameOf(m));
        encoded[at % encoded.length] = b;
        return encoded;
      }),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const want = expected(decodeUtf8(b));
        checkAgainstOracle(parseClientMessage(b), want);
        checkAgainstOracle(parseClientMessage(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), want);
        checkAgainstOracle(parseClientMessage(new DataView(b.buffer, b.byteOffset, b.byteLength)), want);
      }),
      { numRuns: RUNS },
    );
  }, fuzzTimeout());

  test("arbitrary JSON values: never throws, agrees with the oracle", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const text = JSON.stringify(value);
        checkAgainstOracle(parseClientMessage(text), expected(text));
      }),
      { numRuns: RUNS },
    );
  }, fuzzTimeout());

  test("generated hello/event/dml messages are accepted exactly when the oracle says so, unchanged", () => {
    fc.assert(
      fc.property(message, (m) => {
        const text = frameOf(m);
        checkAgainstOracle(parseClientMessage(text), expected(text));
      }),
      { numRuns: RUNS },
    );
  }, fuzzTimeout());

  test("mutated messages (missing, wrong-typed, extra and prototype keys, huge numbers, deep nesting)", () => {
    fc.assert(
      fc.property(message, fc.array(mutation, { minLength: 1, maxLength: 3 }), (m, mutations) => {
        const text = frameOf(mutate(m as Obj, mutations));
        checkAgainstOracle(parseClientMessage(text), expected(text));
        expect(({} as Obj)["polluted"]).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  }, fuzzTimeout());
});

describe("parseClientMessage (edge cases)", () => {
  const event = (paramsJson: string) =>
    `{"type":"event","event":{"id":"e1","template":"T","clientId":"c","timestamp":1,"params":${paramsJson}}}`;

  test("survives 100 000-deep nesting in every position", () => {
    const depth = 100_000;
    const deepArray = "[".repeat(depth) + "]".repeat(depth);
    const deepObject = '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
    expect(parseClientMessage(deepArray)).toMatchObject({ ok: false, code: "BAD_FRAME" });
    expect(parseClientMessage(deepObject)).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    expect(parseClientMessage(`{"type":"hello","clientId":${deepArray},"lastSeq":0}`)).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    // Deep params would overflow the stack when the event is re-encoded: refused at the boundary.
    expect(parseClientMessage(event(`{"a":${deepArray}}`))).toMatchObject({ ok: false, code: "BAD_MESSAGE", id: "e1" });
    expect(parseClientMessage(event(deepObject))).toMatchObject({ ok: false, code: "BAD_MESSAGE", id: "e1" });
    const nest = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);
    expect(parseClientMessage(event(nest(MAX_JSON_DEPTH - 2)))).toMatchObject({ ok: true }); // message, event + 30 levels of params
    expect(parseClientMessage(event(nest(MAX_JSON_DEPTH - 1)))).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    expect(parseClientMessage(new TextEncoder().encode(deepArray))).toMatchObject({ ok: false, code: "BAD_FRAME" });
  });

  test("prototype keys never pollute and never sneak past the strict schemas", () => {
    const proto = '{"polluted":true}';
    expect(parseClientMessage(`{"type":"hello","clientId":"c","lastSeq":0,"__proto__":${proto}}`)).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    expect(parseClientMessage(`{"__proto__":{"type":"hello","clientId":"c","lastSeq":0}}`)).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    expect(parseClientMessage(`{"type":"hello","clientId":"c","lastSeq":0,"constructor":{"prototype":${proto}}}`)).toMatchObject({ ok: false });
    // zod would drop the key silently (the stored event would differ from the one sent): refused.
    expect(parseClientMessage(event(`{"__proto__":${proto}}`))).toMatchObject({ ok: false, code: "BAD_MESSAGE", id: "e1" });
    const r = parseClientMessage(event(`{"constructor":{"prototype":${proto}}}`));
    expect(r.ok).toBe(true);
    if (r.ok && r.message.type === "event") {
      expect(Object.getPrototypeOf(r.message.event.params)).toBe(Object.prototype);
      expect((r.message.event.params as Obj)["polluted"]).toBeUndefined();
    }
    expect(({} as Obj)["polluted"]).toBeUndefined();
  });

  test("numbers outside the safe integer range, non-integers and NaN-like strings are refused", () => {
    for (const n of ["1e999", "-1", "1.5", "9007199254740992", "1e21", '"NaN"', '"1"', "null", "true"]) {
      expect(parseClientMessage(`{"type":"hello","clientId":"c","lastSeq":${n}}`)).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    }
    for (const n of ["0", "-0", "1.0", "9007199254740991"]) {
      expect(parseClientMessage(`{"type":"hello","clientId":"c","lastSeq":${n}}`)).toMatchObject({ ok: true });
    }
  });

  test("id limits count code points: 64 emoji (128 UTF-16 units) and 128 emoji pass, 129 code points do not", () => {
    const hello = (clientId: string) => JSON.stringify({ type: "hello", clientId, lastSeq: 0 });
    expect(parseClientMessage(hello("😀".repeat(128)))).toMatchObject({ ok: true });
    expect(parseClientMessage(hello("😀".repeat(129)))).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    expect(parseClientMessage(hello("x".repeat(129)))).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
  });

  test("a bad frame names the event it was about, when it can", () => {
    expect(parseClientMessage(event("[]"))).toMatchObject({ ok: false, code: "BAD_MESSAGE", id: "e1" });
    expect(parseClientMessage(`{"type":"dml","id":"d1","clientId":"c","cypher":"","timestamp":0}`)).toMatchObject({ ok: false, id: "d1" });
    // Even an id the schema refuses is echoed, so the sender's promise settles (issue 14, finding 7).
    expect(parseClientMessage(`{"type":"dml","id":"${"x".repeat(129)}"}`)).toMatchObject({ ok: false, id: "x".repeat(129) });
    expect(parseClientMessage(event("{}").replace('"e1"', '""'))).toMatchObject({ ok: false, code: "BAD_MESSAGE", id: "" });
    expect(parseClientMessage(`{"type":"dml","id":7}`)).not.toHaveProperty("id");
  });
});
