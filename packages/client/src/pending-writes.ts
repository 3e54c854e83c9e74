/**
 * The client's writes between `executeTemplate()` and the server's answer: the outbox that holds
 * them (durable next to a persistent replica), the promise of each one handed out in this run,
 * how often each was refused with a retryable code, and the `flush()` waiters.
 *
 * Group commit: the events handed over in one turn of the event loop are written to the outbox
 * together at the end of it (one transaction, one fsync; a group of {@link DEFAULT_GROUP_SIZE}
 * goes at once), and only then handed to the sender — an event is never sent before it is durable. Answered events leave the outbox the same way, in
 * groups; until they have, a crash only means they are resent, and the server answers a resent
 * id with its original seq.
 * @module
 */
import { ErrorCode, SyncError, type ClientEvent } from "@kuzu-sync/protocol";
import type { Outbox } from "./outbox.ts";

/**
 * Run `fn` after this turn's I/O callbacks: setImmediate under Bun, a zero timeout in a browser
 * (which has no setImmediate; the browser client's outbox is in memory, so only grouping differs).
 */
const endOfTurn: (fn: () => void) => void =
  (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate?.bind(globalThis) ?? ((fn) => void setTimeout(fn, 0));

/**
 * Most events written (and sent) as one group; a turn that hands over more makes several. A group
 * goes as soon as it is full, so the gateway works on it while this process goes on with the rest
 * (one group of everything would leave client and gateway taking turns). Measured: an outbox
 * commit costs ~0.4 ms of fsync, ~7 µs per event at 100 per group, ~3 at 1000.
 */
export const DEFAULT_GROUP_SIZE = 256;

/** What `executeTemplate()` resolves with. */
export interface AckResult {
  readonly seq: number;
  readonly duplicate: boolean;
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** Where durable events go: the connection, when there is one (else they wait for the next handshake). */
export type SendDurable = (events: readonly ClientEvent[]) => void;

/**
 * @example
 * const writes = new PendingWrites(memoryOutbox(), (events) => connection.sendEvents(events));
 * const acked = writes.track(event);   // in the outbox at the end of this turn, then sent
 * writes.acked(event.id, { seq: 7, duplicate: false });
 * await acked;                          // { seq: 7, duplicate: false }
 * await writes.flush();                 // nothing pending
 */
export class PendingWrites {
  readonly outbox: Outbox;
  readonly #send: SendDurable;
  readonly #acks = new Map<string, Waiter<AckResult>>();
  readonly #retries = new Map<string, number>();
  readonly #flushWaiters = new Set<Waiter<void>>();
  /** Handed over in this turn, not in the outbox yet (nor sent). */
  #staged = new Map<string, ClientEvent>();
  /** Answered, still in the outbox until the next commit. */
  #answered = new Set<string>();
  #scheduled = false;
  #closed = false;
  readonly #groupSize: number;

  constructor(outbox: Outbox, send: SendDurable = () => {}, groupSize = DEFAULT_GROUP_SIZE) {
    this.outbox = outbox;
    this.#send = send;
    this.#groupSize = groupSize;
  }

  /** Events handed over and not answered yet, including those resent from an earlier run. */
  get size(): number {
    return this.outbox.size - this.#answered.size + this.#staged.size;
  }

  /** Whether an event with this id was handed out in this run and is still unanswered. */
  inFlight(id: string): boolean {
    return this.#acks.has(id);
  }

  /** Whether `id` is pending (in the outbox or about to be, and not answered). */
  has(id: string): boolean {
    return this.#staged.has(id) || (this.outbox.has(id) && !this.#answered.has(id));
  }

  /** One pending event by id. */
  get(id: string): ClientEvent | undefined {
    if (this.#answered.has(id)) return undefined;
    return this.#staged.get(id) ?? this.outbox.get(id);
  }

  /** Pending events that are durable, oldest first: what a new connection resends. */
  durable(): ClientEvent[] {
    const pending = this.outbox.pending();
    return this.#answered.size === 0 ? pending : pending.filter((e) => !this.#answered.has(e.id));
  }

  /**
   * Hand an event over: it is written to the outbox at the end of this turn, with every other
   * event handed over meanwhile, and sent after that. The promise settles with the server's answer.
   */
  track(event: ClientEvent): Promise<AckResult> {
    const acked = new Promise<AckResult>((resolve, reject) => this.#acks.set(event.id, { resolve, reject }));
    if (this.outbox.has(event.id)) {
      // Already durable, from an earlier run (and never sent in this one): it may go now.
      this.#answered.delete(event.id);
      this.#send([this.outbox.get(event.id) ?? event]);
    } else {
      this.#staged.set(event.id, event);
      // A full group goes at once, so the gateway can work on it while this turn goes on.
      if (this.#staged.size >= this.#groupSize) this.commit();
      else this.#schedule();
    }
    return acked;
  }

  /** The server acknowledged `id`: its promise resolves now; it leaves the outbox with the next commit. */
  acked(id: string, result: AckResult): void {
    const w = this.#forget(id);
    w?.resolve(result);
  }

  /**
   * The server refused `id` for good. Returns the event (for statistics) and whether a promise of
   * this run received the error; otherwise the caller reports it.
   */
  refused(id: string, error: SyncError): { readonly event: ClientEvent | undefined; readonly delivered: boolean } {
    const event = this.get(id);
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

  /** Resolves once nothing is pending (every event acknowledged or refused). */
  flush(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.#flushWaiters.add({ resolve, reject }));
  }

  /** Reject every promise still waiting (the client closes); a durable outbox keeps the events. */
  failAll(error: SyncError): void {
    for (const w of [...this.#acks.values(), ...this.#flushWaiters]) w.reject(error);
    this.#acks.clear();
    this.#flushWaiters.clear();
  }

  /**
   * Write what this turn staged now: adds (then handed to the sender) and the removal of answered
   * events, each group in one transaction. Runs by itself at the end of every turn that staged
   * something; call it before closing the outbox.
   */
  commit(): void {
    this.#scheduled = false;
    if (this.#closed) return;
    const staged = this.#staged;
    if (staged.size > 0) {
      this.#staged = new Map();
      const events = [...staged.values()];
      try {
        this.outbox.addAll(events);
      } catch (cause) {
        // Never sent, never durable: each caller hears it now rather than believe it queued.
        const error = new SyncError(ErrorCode.INTERNAL, `cannot write the outbox: ${String(cause)}`, { cause });
        for (const e of events) this.#forget(e.id)?.reject(error);
        this.#commitRemovals();
        return;
      }
      this.#send(events);
    }
    this.#commitRemovals();
  }

  /** Write what is staged, then close the outbox (unanswered events stay in a durable one). */
  close(): void {
    if (this.#closed) return;
    this.commit();
    this.#closed = true;
    this.outbox.close();
  }

  #commitRemovals(): void {
    if (this.#answered.size === 0) return;
    const ids = [...this.#answered];
    try {
      this.outbox.removeAll(ids);
      for (const id of ids) this.#answered.delete(id);
    } catch {
      // Still answered, still in the file: removed at a later commit, or resent after a crash
      // and answered with its original seq.
    }
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // Everything handed over in this turn (a loop of executeTemplate calls, the continuations of
    // the acks read in one go) shares one transaction.
    endOfTurn(() => this.commit());
  }

  #forget(id: string): Waiter<AckResult> | undefined {
    if (!this.#staged.delete(id) && this.outbox.has(id)) {
      this.#answered.add(id);
      this.#schedule();
    }
    this.#retries.delete(id);
    const w = this.#acks.get(id);
    this.#acks.delete(id);
    if (this.size === 0) {
      for (const f of this.#flushWaiters) f.resolve();
      this.#flushWaiters.clear();
    }
    return w;
  }
}
