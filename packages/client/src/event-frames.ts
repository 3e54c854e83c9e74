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
    const size = Buffer.byteLength(part) + 1;
    if (parts.length > 0 && (parts.length >= limits.maxEvents || bytes + size > limits.maxBytes)) close();
    parts.push(part);
    bytes += size;
  }
  close();
  return frames;
}
