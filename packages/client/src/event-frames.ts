/**
 * Events on their way to the gateway, cut into frames: as many per `events` frame as the gateway
 * takes (`welcome.maxEventsPerFrame`, and `maxMessageBytes` in all), one `event` frame each for a
 * gateway that announces no limit (it predates `events` frames) or for an event alone in its frame.
 * Each event is encoded once; the frame is the array of those encodings (what `encodeClientMessage`
 * would give for the same events — event-frames.test.ts checks it).
 * @module
 */
import { encodeClientMessage, type ClientEvent } from "@kuzu-sync/protocol";

/** What the gateway said it takes. */
export interface FrameLimits {
  /** Events per frame; 1 for a gateway without `events` frames. */
  readonly maxEvents: number;
  /** Bytes per frame. */
  readonly maxBytes: number;
}

const HEAD = '{"type":"events","events":[';
const TAIL = "]}";
/** Room left for the envelope: `{"type":"events","events":[` … `]}`. */
const ENVELOPE_BYTES = HEAD.length + TAIL.length;

/**
 * @example
 * for (const frame of eventFrames(events, { maxEvents: 1000, maxBytes: 1 << 20 })) ws.send(frame);
 */
export function eventFrames(events: readonly ClientEvent[], limits: FrameLimits): string[] {
  if (limits.maxEvents <= 1 || events.length === 1) return events.map((event) => encodeClientMessage({ type: "event", event }));
  const frames: string[] = [];
  let parts: string[] = [];
  let bytes = ENVELOPE_BYTES;
  const close = () => {
    if (parts.length === 1) frames.push(`{"type":"event","event":${parts[0]!}}`);
    else if (parts.length > 1) frames.push(HEAD + parts.join(",") + TAIL);
    parts = [];
    bytes = ENVELOPE_BYTES;
  };
  for (const event of events) {
    const part = JSON.stringify(event);
    const size = utf8Length(part) + 1;
    if (parts.length > 0 && (parts.length >= limits.maxEvents || bytes + size > limits.maxBytes)) close();
    parts.push(part);
    bytes += size;
  }
  close();
  return frames;
}

/** UTF-8 length of `text` (no Buffer: this module runs in browsers too). */
export function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 4 bytes for 2 UTF-16 units
      i++;
    } else n += 2; // 3 bytes (a lone surrogate becomes U+FFFD, 3 bytes too)
  }
  return n;
}
