/**
 * A group of newly committed events as every commit listener sees it, and the one place that
 * knows about duplicate slots. A duplicate slot is a seq of the order whose message repeats an id
 * already stored at a lower seq (JetStream only: a resend after the stream's duplicate window,
 * PROTOCOL.md §9.4). It moves every replica's seq and takes no other effect, so it is delivered to
 * replicas (`events`) and left out of everything that counts or republishes (`effective`, `own`).
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";

/** A group of newly committed events, ascending and consecutive. */
export interface Commit {
  /** Every new slot of the order, duplicate slots included: replicas record their seq too. */
  readonly events: readonly SequencedEvent[];
  /** The events that take effect: `events` without duplicate slots (the same array when there are none). */
  readonly effective: readonly SequencedEvent[];
  /**
   * The effective events this process appended: all of them for the embedded log, those carrying
   * this gateway's origin for JetStream. What it republishes on core NATS (only the appender does).
   */
  readonly own: readonly SequencedEvent[];
}

/**
 * Mark `event` as a duplicate slot when its id was first stored at a lower seq.
 * @example markDuplicate({ ...event, seq: 42 }, 7).duplicateOf // 7
 */
export function markDuplicate(event: SequencedEvent, firstSeq: number | null): SequencedEvent {
  return firstSeq !== null && firstSeq < event.seq ? { ...event, duplicateOf: firstSeq } : event;
}

/**
 * The commit of `events`; `own` says which of them this process appended (default: all).
 * @example const commit = commitOf(group, (e, i) => origins[i] === myOrigin);
 */
export function commitOf(events: readonly SequencedEvent[], own?: (event: SequencedEvent, index: number) => boolean): Commit {
  const effective = events.some((e) => e.duplicateOf !== undefined) ? events.filter((e) => e.duplicateOf === undefined) : events;
  if (own === undefined) return { events, effective, own: effective };
  return { events, effective, own: events.filter((e, i) => e.duplicateOf === undefined && own(e, i)) };
}
