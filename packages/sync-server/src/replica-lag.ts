/**
 * How far the server replica is behind the log, in events and in seconds: the seconds are the age
 * of the oldest event it has not applied yet (its `serverTimestamp`), 0 when it is caught up. The
 * follower tells it what it read and applied, the log what it committed; no history is kept but
 * the first unapplied event's time.
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";

/** The server replica's lag as `/health` reports it. */
export interface Lag {
  readonly events: number;
  readonly seconds: number;
}

/**
 * @example
 * const lag = new ReplicaLag();
 * log.onCommit(({ events }) => lag.seen(events, replica.appliedSeq));
 * lag.report(log.headSeq, replica.appliedSeq, Date.now()); // { events: 3, seconds: 0.2 }
 */
export class ReplicaLag {
  /** The first event not applied yet, as last seen (null: none seen, or caught up). */
  #next: { readonly seq: number; readonly at: number } | null = null;

  /** Events read or committed; `appliedSeq` is the replica's position then. */
  seen(events: readonly SequencedEvent[], appliedSeq: number): void {
    if (this.#next !== null && this.#next.seq > appliedSeq) return;
    const first = events.find((e) => e.seq === appliedSeq + 1);
    if (first !== undefined) this.#next = { seq: first.seq, at: first.serverTimestamp };
  }

  /** Lag at `now` (ms) for a replica at `appliedSeq` of a log at `headSeq`. */
  report(headSeq: number, appliedSeq: number, now: number): Lag {
    const events = Math.max(0, headSeq - appliedSeq);
    if (events === 0) return { events, seconds: 0 };
    const next = this.#next !== null && this.#next.seq === appliedSeq + 1 ? this.#next : null;
    // Not seen yet (a replay at start-up before its first page): behind by an unknown time, reported as 0.
    return { events, seconds: next === null ? 0 : Math.max(0, Math.round((now - next.at) / 100) / 10) };
  }
}
