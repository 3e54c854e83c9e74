import { describe, expect, test } from "bun:test";
import { encodeClientMessage, parseClientMessage, type ClientEvent } from "@kuzu-sync/protocol";
import { eventFrames, utf8Length } from "./event-frames.ts";

const event = (i: number, text = "x"): ClientEvent => ({ id: `e${i}`, template: "CREATE_POST", params: { id: `p${i}`, authorId: "a", content: text }, clientId: "c", timestamp: i });

/** Every event the frames carry, as the gateway reads them. */
function carried(frames: readonly string[]): ClientEvent[] {
  return frames.flatMap((f) => {
    const r = parseClientMessage(f);
    if (!r.ok || r.refused !== undefined) throw new Error(`frame refused: ${f.slice(0, 80)}`);
    if (r.message.type === "events") return r.message.events;
    if (r.message.type === "event") return [r.message.event];
    throw new Error(`unexpected ${r.message.type}`);
  });
}

describe("eventFrames", () => {
  test("as many events per frame as the gateway takes, in order, byte for byte what encodeClientMessage gives", () => {
    const events = Array.from({ length: 2500 }, (_, i) => event(i));
    const frames = eventFrames(events, { maxEvents: 1000, maxBytes: 1 << 20 });
    expect(frames.length).toBe(3);
    expect(frames[0]).toBe(encodeClientMessage({ type: "events", events: events.slice(0, 1000) }));
    expect(frames[2]).toBe(encodeClientMessage({ type: "events", events: events.slice(2000) }));
    expect(carried(frames)).toEqual(events);
  });

  test("frames stay within the byte limit (multi-byte text counted in bytes); an event alone goes in an event frame", () => {
    const events = Array.from({ length: 40 }, (_, i) => event(i, "é".repeat(200 + i)));
    const maxBytes = 4096;
    const frames = eventFrames(events, { maxEvents: 1000, maxBytes });
    for (const f of frames) expect(Buffer.byteLength(f)).toBeLessThanOrEqual(maxBytes);
    expect(frames.length).toBeGreaterThan(1);
    expect(carried(frames)).toEqual(events);
    const alone = eventFrames([event(1)], { maxEvents: 1000, maxBytes });
    expect(alone).toEqual([encodeClientMessage({ type: "event", event: event(1) })]);
    // Larger than a frame on its own: sent alone all the same (the gateway answers for it).
    const huge = event(2, "y".repeat(5000));
    expect(eventFrames([event(1), huge, event(3)], { maxEvents: 1000, maxBytes }).map((f) => JSON.parse(f).type)).toEqual(["event", "event", "event"]);
  });

  test("a gateway without events frames gets one event frame per event", () => {
    const events = [event(1), event(2)];
    expect(eventFrames(events, { maxEvents: 1, maxBytes: 1 << 20 })).toEqual(events.map((e) => encodeClientMessage({ type: "event", event: e })));
  });
});

test("utf8Length agrees with Buffer.byteLength (ASCII, 2-, 3- and 4-byte characters, lone surrogates)", () => {
  for (const text of ["", "abc", "é", "€uro", "a😀b", "😀😀", "\ud800", "x\udc00y", "\ud800\ud800\udc00", JSON.stringify({ s: "naïve ☃ 𝄞" })]) {
    expect(utf8Length(text)).toBe(Buffer.byteLength(text));
  }
});
