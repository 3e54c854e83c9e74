/**
 * The last committed events, in memory, so that readers close behind the head (a reconnecting
 * client's catch-up, the server replica) are served without going back to storage: for the
 * JetStream log that would be a consumer per page, for the embedded log a query and a JSON parse
 * per event. Every backend keeps one, filled in the step that delivers each commit.
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";

/**
 * @example
 * const recent = new RecentEvents(20_000);
 * recent.add(committed);
 * recent.after(41, 1000); // events 42… if held, else null
 */
export class RecentEvents {
  readonly #capacity: number;
  /** Consecutive events, ascending; `#events[0].seq` is the first held. */
  #events: SequencedEvent[] = [];

  /** Holds at least the last `capacity` events (up to 1.5×, trimmed in one go). */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Remember a committed group. A group that does not follow the last one starts afresh. */
  add(events: readonly SequencedEvent[]): void {
    const first = events[0];
    if (first === undefined || this.#capacity <= 0) return;
    const last = this.#events[this.#events.length - 1];
    if (last !== undefined && first.seq !== last.seq + 1) this.#events = [];
    for (const e of events) this.#events.push(e);
    if (this.#events.length > this.#capacity * 1.5) this.#events = this.#events.slice(this.#events.length - this.#capacity);
  }

  /** Events with seq > `afterSeq`, at most `limit`, when they are held from `afterSeq + 1` on; null otherwise. */
  after(afterSeq: number, limit: number): SequencedEvent[] | null {
    const first = this.#events[0];
    if (first === undefined || afterSeq + 1 < first.seq) return null;
    const start = afterSeq + 1 - first.seq;
    return this.#events.slice(start, start + limit);
  }

  /** Seq of the newest event held (0 when none). */
  get lastSeq(): number {
    return this.#events[this.#events.length - 1]?.seq ?? 0;
  }
}
