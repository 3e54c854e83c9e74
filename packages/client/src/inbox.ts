/**
 * What the client received from the server and has still to process, handled strictly in arrival
 * order by one loop. Event pages that pile up while a transaction runs are applied as one batch.
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";

/** Events to apply, or a step (install the registry, settle `connect()`) that must run in order. */
export type InboxItem = readonly SequencedEvent[] | (() => Promise<void>);

/** Most events applied in one replica transaction. */
const MAX_APPLY_BATCH = 10_000;

/**
 * @example
 * const inbox = new Inbox((events) => replica.apply(events), (error) => log(error));
 * inbox.push(msg.events);
 * await inbox.idle();
 */
export class Inbox {
  readonly #apply: (events: readonly SequencedEvent[]) => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #items: InboxItem[] = [];
  #draining: Promise<void> | null = null;

  constructor(apply: (events: readonly SequencedEvent[]) => Promise<void>, onError: (error: unknown) => void) {
    this.#apply = apply;
    this.#onError = onError;
  }

  push(item: InboxItem): void {
    this.#items.push(item);
    this.#kick();
  }

  #kick(): void {
    // An item pushed after the drain loop saw an empty queue but before this `finally` ran would
    // otherwise wait for the next push (a verify() step on a quiet stream waited for ever).
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = null;
      if (this.#items.length > 0) this.#kick();
    });
  }

  /** Forget queued events (after a gap: catch-up sends them again); queued steps stay. */
  dropEvents(): void {
    this.#items = this.#items.filter((item) => !Array.isArray(item));
  }

  /** Whether a batch of events is queued (not counting the one being applied). */
  get eventsQueued(): boolean {
    return this.#items.some((item) => Array.isArray(item));
  }

  /** Resolves once everything queued so far has been processed. */
  async idle(): Promise<void> {
    await this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#items.length > 0) {
      const item = this.#items.shift()!;
      try {
        if (typeof item === "function") {
          await item();
          continue;
        }
        const batch = [...item];
        while (batch.length < MAX_APPLY_BATCH && Array.isArray(this.#items[0])) batch.push(...(this.#items.shift() as SequencedEvent[]));
        await this.#apply(batch);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
