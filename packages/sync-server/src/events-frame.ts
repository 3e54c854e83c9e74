/**
 * What becomes of each event of a client's `events` frame before the usual per-event checks: the
 * frame is taken apart as if every event had come in an `event` frame of its own, in order — each
 * spends a rate-limit token (those beyond the bucket are refused RATE_LIMITED), each must fit the
 * event size limit on its own, and an event the parser refused is refused alone.
 * @module
 */
import { encodeClientMessage, ErrorCode, type ClientEvent, type RefusedEvent } from "@kuzu-sync/protocol";

/** One event of the frame, in frame order: to be checked and appended, or refused now. */
export type FrameItem =
  | { readonly kind: "event"; readonly event: ClientEvent }
  | {
      readonly kind: "refused";
      readonly index: number;
      /** The event's id when it has a usable one (answered with `reject`), else undefined (`error`). */
      readonly id: string | undefined;
      readonly code: ErrorCode;
      readonly message: string;
      /** Counted, not logged (rate-limit refusals: a flood must not become a log flood). */
      readonly quiet: boolean;
    };

export interface FrameLimits {
  /** Tokens granted for this frame: the first `granted` items go on. */
  readonly granted: number;
  /** Why the rest were not granted (RATE_LIMITED), null when all were. */
  readonly refusal: string | null;
  /** Size of the whole frame; each event is measured alone only when the frame exceeds `maxEventBytes`. */
  readonly frameBytes: number;
  readonly maxEventBytes: number;
}

/**
 * @example
 * const items = eventsFrameItems(parsed.message.events, parsed.refused ?? [], { granted, refusal, frameBytes, maxEventBytes });
 * for (const item of items) item.kind === "event" ? check(item.event) : refuse(item);
 */
export function eventsFrameItems(events: readonly ClientEvent[], refused: readonly RefusedEvent[], limits: FrameLimits): FrameItem[] {
  const total = events.length + refused.length;
  const items: FrameItem[] = [];
  let next = 0;
  let r = 0;
  for (let index = 0; index < total; index++) {
    const bad = refused[r]?.index === index ? refused[r++] : undefined;
    const event = bad === undefined ? events[next++]! : undefined;
    const id = bad === undefined ? event!.id : bad.id;
    if (index >= limits.granted) {
      items.push({ kind: "refused", index, id, code: ErrorCode.RATE_LIMITED, message: limits.refusal ?? "rate limited", quiet: true });
    } else if (bad !== undefined) {
      items.push({ kind: "refused", index, id: bad.id, code: bad.code, message: bad.message, quiet: false });
    } else if (limits.frameBytes > limits.maxEventBytes && eventBytes(event!) > limits.maxEventBytes) {
      const message = `event ${index} of the frame is ${eventBytes(event!)} bytes on its own, over the ${limits.maxEventBytes}-byte event limit`;
      items.push({ kind: "refused", index, id, code: ErrorCode.EVENT_TOO_LARGE, message, quiet: false });
    } else {
      items.push({ kind: "event", event: event! });
    }
  }
  return items;
}

/** Size of `event` as an `event` frame of its own: the size limit means the same in both kinds of frame. */
function eventBytes(event: ClientEvent): number {
  return Buffer.byteLength(encodeClientMessage({ type: "event", event }));
}
