/**
 * How a backend hands out what it committed: every listener, in order, in the synchronous step
 * that moved the head (the gateway's gap-free switch from catch-up to live relies on it), after
 * the group is remembered for readers close behind. One listener's failure is logged and never
 * keeps the others (or the acks of durable events) from running.
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";
import { commitOf } from "./commit.ts";
import type { CommitListener } from "./event-log.ts";
import { RecentEvents } from "./recent-events.ts";

/** Recent events each log keeps in memory unless told otherwise. */
export const DEFAULT_RECENT_EVENTS = 20_000;

/**
 * @example
 * const feed = new CommitFeed(logger, 20_000);
 * const unsubscribe = feed.subscribe(({ events }) => fanOut(events)); // a log's onCommit()
 * head = last.seq; feed.deliver(group); // in the step that moved the head
 */
export class CommitFeed {
  readonly recent: RecentEvents;
  readonly #listeners = new Set<CommitListener>();
  readonly #logger: Logger;
  /** Marks what the log's readers must see on an event (quarantine.ts), before anyone sees it. */
  readonly #mark: ((events: readonly SequencedEvent[]) => readonly SequencedEvent[]) | null;

  constructor(logger: Logger, recentEvents = DEFAULT_RECENT_EVENTS, mark?: (events: readonly SequencedEvent[]) => readonly SequencedEvent[]) {
    this.#logger = logger;
    this.recent = new RecentEvents(recentEvents);
    this.#mark = mark ?? null;
  }

  subscribe(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Deliver a committed group (`own`: see {@link commitOf}). */
  deliver(delivered: readonly SequencedEvent[], own?: (event: SequencedEvent, index: number) => boolean): void {
    if (delivered.length === 0) return;
    const events = this.#mark === null ? delivered : this.#mark(delivered);
    this.recent.add(events);
    const commit = commitOf(events, own);
    for (const listener of this.#listeners) {
      try {
        listener(commit);
      } catch (error) {
        this.#logger.error("commit listener threw", { error: String(error) });
      }
    }
  }
}
