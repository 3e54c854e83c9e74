import { describe, expect, test } from "bun:test";
import { MAX_EVENTS_PER_FRAME, encodeClientMessage, parseClientMessage, parseServerMessage } from "./messages.ts";

const ev = (i: number, extra: Record<string, unknown> = {}) => ({ id: `e-${i}`, template: "T", params: { n: i }, clientId: "c", timestamp: 1, ...extra });

describe("the events frame (several events in one client frame)", () => {
  test("well-formed events come out in order, nothing refused", () => {
    const frame = encodeClientMessage({ type: "events", events: [ev(1), ev(2), ev(3)] });
    const r = parseClientMessage(frame);
    expect(r).toEqual({ ok: true, message: { type: "events", events: [ev(1), ev(2), ev(3)] } });
  });

  test("a bad event among good ones is refused alone, by index and id when it has a usable one", () => {
    const deep = JSON.parse(`{"a":${"[".repeat(40)}1${"]".repeat(40)}}`) as unknown;
    const items = [
      ev(0),
      { ...ev(1), params: "not an object" },
      ev(2),
      { ...ev(3), extra: true },
      { id: 7 },
      ev(5, { params: deep }),
      JSON.parse('{"id":"e-6","template":"T","params":{"__proto__":{"x":1}},"clientId":"c","timestamp":1}') as unknown,
      "a string",
      ev(8),
    ];
    const r = parseClientMessage(JSON.stringify({ type: "events", events: items }));
    if (!r.ok) throw new Error(r.message);
    expect(r.message).toEqual({ type: "events", events: [ev(0), ev(2), ev(8)] });
    expect(r.refused?.map((f) => [f.index, f.id ?? null, f.code])).toEqual([
      [1, "e-1", "BAD_MESSAGE"],
      [3, "e-3", "BAD_MESSAGE"],
      [4, null, "BAD_MESSAGE"],
      [5, "e-5", "BAD_MESSAGE"],
      [6, "e-6", "BAD_MESSAGE"],
      [7, null, "BAD_MESSAGE"],
    ]);
    expect(r.refused![0]!.message).toMatch(/^events\.1: params/);
    expect(r.refused![3]!.message).toMatch(/nesting deeper than/);
    expect(r.refused![4]!.message).toMatch(/__proto__/);
  });

  test("an event nested as deep as an event frame allows is allowed here too", () => {
    // MAX_JSON_DEPTH counts from the frame: the same event must pass in both kinds of frame.
    let params: unknown = 1;
    for (let i = 0; i < 29; i++) params = [params];
    const event = ev(1, { params: { deep: params } });
    expect(parseClientMessage(JSON.stringify({ type: "event", event })).ok).toBe(true);
    const r = parseClientMessage(JSON.stringify({ type: "events", events: [event] }));
    expect(r.ok && r.refused === undefined && r.message.type === "events" && r.message.events.length).toBe(1);
  });

  test("the envelope: exactly {type, events}, 1 to MAX_EVENTS_PER_FRAME events", () => {
    const refused = (frame: unknown) => {
      const r = parseClientMessage(JSON.stringify(frame));
      return r.ok ? null : [r.code, r.eventsFrame ?? false];
    };
    expect(refused({ type: "events", events: [] })).toEqual(["BAD_MESSAGE", true]);
    expect(refused({ type: "events", events: Array.from({ length: MAX_EVENTS_PER_FRAME + 1 }, (_, i) => ev(i)) })).toEqual(["BAD_MESSAGE", true]);
    expect(refused({ type: "events", events: ev(1) })).toEqual(["BAD_MESSAGE", true]);
    expect(refused({ type: "events", events: [ev(1)], extra: 1 })).toEqual(["BAD_MESSAGE", true]);
    expect(refused({ type: "events" })).toEqual(["BAD_MESSAGE", true]);
    const full = parseClientMessage(JSON.stringify({ type: "events", events: Array.from({ length: MAX_EVENTS_PER_FRAME }, (_, i) => ev(i)) }));
    expect(full.ok && full.message.type === "events" && full.message.events.length).toBe(MAX_EVENTS_PER_FRAME);
  });

  test("welcome announces the limit; a welcome without it (an older server) still parses", () => {
    const welcome = { type: "welcome", serverId: "s", headSeq: 0, horizonSeq: 1, registry: { hash: "h", schema: [], templates: [] }, maxMessageBytes: 1024 };
    const withLimit = parseServerMessage(JSON.stringify({ ...welcome, maxEventsPerFrame: MAX_EVENTS_PER_FRAME }));
    expect(withLimit.ok && withLimit.message.type === "welcome" && withLimit.message.maxEventsPerFrame).toBe(MAX_EVENTS_PER_FRAME);
    const without = parseServerMessage(JSON.stringify(welcome));
    expect(without.ok && without.message.type === "welcome" && without.message.maxEventsPerFrame).toBeUndefined();
  });
});
