import { describe, expect, test } from "bun:test";
import { checkClientEvent, checkClientId, parseClientMessage } from "./messages.ts";
import { describePath, isWellFormed, shapeProblem } from "./frame-shape.ts";

const event = (over: Record<string, unknown> = {}) => ({ id: "e1", template: "CREATE_USER", params: { id: "u1", name: "Ann" }, clientId: "c1", timestamp: 1, ...over });
const frame = (over: Record<string, unknown> = {}) => JSON.stringify({ type: "event", event: event(over) });

describe("strings that are not well-formed UTF-16 are refused at the parse boundary", () => {
  test("two event ids that storage would both turn into U+FFFD are refused, naming the field and the event", () => {
    for (const id of ["evt-\ud800", "evt-\udbff", "\udc00evt", "evt-\ud83d"]) {
      const r = parseClientMessage(frame({ id }));
      expect(r).toMatchObject({ ok: false, code: "BAD_MESSAGE", id });
      if (!r.ok) expect(r.message).toMatch(/^event\.id: .*not well-formed UTF-16 \(lone surrogate at index \d\)/);
    }
  });

  test("a well-formed pair is fine anywhere", () => {
    expect(parseClientMessage(frame({ id: "evt-😀", params: { id: "😀", name: "a\ud83d\ude00b" } }))).toMatchObject({ ok: true });
  });

  test("in the params, at any depth and in keys, it is INVALID_PARAMS naming the path", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ id: "u1", name: "a\ud800" }, /^event\.params\.name: the string/],
      [{ id: "u1", name: "x", tags: ["ok", "b\udfff"] }, /^event\.params\.tags\[1\]: the string/],
      [{ id: "u1", deep: { deeper: [{ k: "\ud800" }] } }, /^event\.params\.deep\.deeper\[0\]\.k: /],
      [{ ["c\ud800"]: 1 }, /^event\.params\["c\\ud800"\]: the key "c\\ud800"/],
      [{ nested: { ["\udc00"]: "v" } }, /^event\.params\.nested\["\\udc00"\]: the key/],
    ];
    for (const [params, message] of cases) {
      const r = parseClientMessage(frame({ params }));
      expect(r).toMatchObject({ ok: false, code: "INVALID_PARAMS", id: "e1" });
      if (!r.ok) expect(r.message).toMatch(message);
    }
  });

  test("outside the params it is BAD_MESSAGE, and that wins over a problem in the params", () => {
    expect(parseClientMessage(frame({ template: "T\ud800" }))).toMatchObject({ ok: false, code: "BAD_MESSAGE", message: expect.stringMatching(/^event\.template/) });
    expect(parseClientMessage(frame({ clientId: "c\ud800", params: { a: "\ud800" } }))).toMatchObject({ ok: false, code: "BAD_MESSAGE", message: expect.stringMatching(/^event\.clientId/) });
    expect(parseClientMessage(JSON.stringify({ type: "hello", clientId: "c\ud800", lastSeq: 0 }))).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    expect(parseClientMessage(JSON.stringify({ type: "hello", clientId: "c", lastSeq: 0, registryHash: "\udfff" }))).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    expect(parseClientMessage(JSON.stringify({ type: "aggregate", id: "a1", name: "counters", key: "c\ud800" }))).toMatchObject({ ok: false, code: "BAD_MESSAGE", id: "a1" });
    expect(parseClientMessage(JSON.stringify({ type: "event", ["\ud800"]: 1, event: event() }))).toMatchObject({ ok: false, code: "BAD_MESSAGE", id: "e1" });
  });

  test("a dml frame's cypher is its params", () => {
    const dml = (cypher: string) => JSON.stringify({ type: "dml", id: "d1", clientId: "c", cypher, timestamp: 0 });
    expect(parseClientMessage(dml("RETURN '\ud800'"))).toMatchObject({ ok: false, code: "INVALID_PARAMS", id: "d1", message: expect.stringMatching(/^cypher: /) });
    expect(parseClientMessage(dml("RETURN 'é'"))).toMatchObject({ ok: true });
  });

  test("depth and __proto__ are still found first", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(shapeProblem({ a: "\ud800", deep }, () => true)).toEqual({ message: "nesting deeper than 32 levels", inParams: false });
    expect(shapeProblem({ a: "\ud800" }, () => true)).toMatchObject({ inParams: true });
    const withProto = JSON.parse('{"a":"\\ud800","__proto__":1}') as unknown;
    expect(shapeProblem(withProto, () => true)).toEqual({ message: "the key __proto__ is not allowed", inParams: false });
  });

  test("describePath and isWellFormed", () => {
    expect(describePath([])).toBe("message");
    expect(describePath(["event", "params", "a b", 2, "c"])).toBe('event.params["a b"][2].c');
    expect(isWellFormed("a\ud83d\ude00")).toBe(true);
    expect(isWellFormed("a\ude00\ud83d")).toBe(false);
  });
});

describe("checkClientEvent / checkClientId: the gateway's verdict, before anything is stored", () => {
  test("ids the gateway refuses are refused with its code and message", () => {
    expect(checkClientEvent(event({ id: "" }))).toMatchObject({ ok: false, code: "BAD_MESSAGE", message: expect.stringMatching(/^event\.id/) });
    expect(checkClientEvent(event({ id: "x".repeat(300) }))).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    expect(checkClientEvent(event({ id: "evt-\ud800" }))).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    expect(checkClientEvent(event({ params: { k: "\udbff" } }))).toMatchObject({ ok: false, code: "INVALID_PARAMS" });
    expect(checkClientEvent(event({ params: { n: 10n } as unknown as Record<string, unknown> }))).toMatchObject({ ok: false, code: "BAD_MESSAGE", message: expect.stringMatching(/JSON/) });
    expect(checkClientEvent(event({ id: "x".repeat(128) }))).toEqual({ ok: true });
    expect(checkClientEvent(event())).toEqual({ ok: true });
  });

  test("client ids", () => {
    expect(checkClientId("x".repeat(128))).toEqual({ ok: true });
    expect(checkClientId("x".repeat(129))).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    expect(checkClientId("")).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
    expect(checkClientId("c\ud800")).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
  });
});
