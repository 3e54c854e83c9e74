/**
 * The client's writes between `executeTemplate()` and the server's answer: the outbox that holds
 * them (durable next to a persistent replica), the promise of each one handed out in this run,
 * how often each was refused with a retryable code, and the `flush()` waiters.
 * @module
 */
import type { ClientEvent, SyncError } from "@kuzu-sync/protocol";
import type { Outbox } from "./outbox.ts";

/** What `executeTemplate()` resolves with. */
export interface AckResult {
  readonly seq: number;
  readonly duplicate: boolean;
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/**
 * @example
 * const writes = new PendingWrites(memoryOutbox());
 * const acked = writes.track(event);   // in the outbox until acknowledged or refused
 * writes.acked(event.id, { seq: 7, duplicate: false });
 * await acked;                          // { seq: 7, duplicate: false }
 * await writes.flush();                 // nothing pending
 */
export class PendingWrites {
  readonly outbox: Outbox;
  readonly #acks = new Map<string, Waiter<AckResult>>();
  readonly #retries = new Map<string, number>();
  readonly #flushWaiters = new Set<Waiter<void>>();

  constructor(outbox: Outbox) {
    this.outbox = outbox;
  }

  /** Events in the outbox, including those resent from an earlier run. */
  get size(): number {
    return this.outbox.size;
  }

  /** Whether an event with this id was handed out in this run and is still unanswered. */
  inFlight(id: string): boolean {
    return this.#acks.has(id);
  }

  /** Put an event in the outbox; the promise settles with the server's answer. */
  track(event: ClientEvent): Promise<AckResult> {
    const acked = new Promise<AckResult>((resolve, reject) => this.#acks.set(event.id, { resolve, reject }));
    this.outbox.add(event);
    return acked;
  }

  /** The server acknowledged `id`: it leaves the outbox. */
  acked(id: string, result: AckResult): void {
    const w = this.#forget(id);
    w?.resolve(result);
  }

  /**
   * The server refused `id` for good. Returns the event (for statistics) and whether a promise of
   * this run received the error; otherwise the caller reports it.
   */
  refused(id: string, error: SyncError): { readonly event: ClientEvent | undefined; readonly delivered: boolean } {
    const event = this.outbox.get(id);
    const w = this.#forget(id);
    w?.reject(error);
    return { event, delivered: w !== undefined };
  }

  /** The server refused `id` with a retryable code: how many times before this one. */
  refusedForNow(id: string): number {
    const tries = this.#retries.get(id) ?? 0;
    this.#retries.set(id, tries + 1);
    return tries;
  }

  /** Resolves once the outbox is empty (every event acknowledged or refused). */
  flush(): Promise<void> {
    if (this.outbox.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.#flushWaiters.add({ resolve, reject }));
  }

  /** Reject every promise still waiting (the client closes); the outbox keeps the events. */
  failAll(error: SyncError): void {
    for (const w of [...this.#acks.values(), ...this.#flushWaiters]) w.reject(error);
    this.#acks.clear();
    this.#flushWaiters.clear();
  }

  #forget(id: string): Waiter<AckResult> | undefined {
    this.outbox.remove(id);
    this.#retries.delete(id);
    const w = this.#acks.get(id);
    this.#acks.delete(id);
    if (this.outbox.size === 0) {
      for (const f of this.#flushWaiters) f.resolve();
      this.#flushWaiters.clear();
    }
    return w;
  }
}
