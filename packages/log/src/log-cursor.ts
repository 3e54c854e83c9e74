/**
 * "From seq N, then live": reads a log in order from a position, page by page, and says when it
 * has caught up with the head, so the reader can go live — the gateway by joining the fan-out in
 * that same synchronous step (every later seq is then published to it), the server replica by
 * waiting for the next commit. Pages come from the log's recent events when it still holds them.
 * @module
 */
import { ErrorCode, SyncError, type SequencedEvent } from "@kuzu-sync/protocol";
import type { EventLog } from "./event-log.ts";

/**
 * The log cannot continue from the cursor's position: the events after it were archived
 * (`SNAPSHOT_REQUIRED`, with {@link firstHeld}), or it returned nothing below its head (`INTERNAL`).
 */
export class LogCursorError extends SyncError {
  /** Seq of the first event the log still holds after the position (SNAPSHOT_REQUIRED only). */
  readonly firstHeld: number | null;

  constructor(code: ErrorCode, message: string, firstHeld: number | null = null) {
    super(code, message);
    this.firstHeld = firstHeld;
  }
}

/**
 * @example
 * const cursor = new LogCursor(log, lastSeq);
 * while (!cursor.caughtUp) send(await cursor.next(1000));
 * fanOut.join(ws); // same synchronous step as the check
 */
export class LogCursor {
  readonly #log: EventLog;
  #position: number;
  #closed = false;
  readonly #wakers = new Set<() => void>();
  #unsubscribe: (() => void) | null = null;

  constructor(log: EventLog, afterSeq: number) {
    this.#log = log;
    this.#position = afterSeq;
  }

  /** Last seq handed out (the seq the cursor was opened after, before the first page). */
  get position(): number {
    return this.#position;
  }

  /** Whether every committed event has been handed out. Synchronous, so the caller can go live in the same step. */
  get caughtUp(): boolean {
    return this.#position >= this.#log.headSeq;
  }

  /**
   * The next events after {@link position}, at most `limit`, consecutive; empty when caught up.
   * Throws {@link LogCursorError} when the log cannot continue from the position, and whatever
   * the log's `read` throws (e.g. LOG_UNAVAILABLE); the position stays where it was then.
   */
  async next(limit: number): Promise<SequencedEvent[]> {
    const from = this.#position;
    const head = this.#log.headSeq;
    if (from >= head) return [];
    const page = await this.#log.read(from, limit);
    const first = page[0];
    if (first === undefined) throw new LogCursorError(ErrorCode.INTERNAL, `log returned nothing after seq ${from} below head ${head}`);
    if (first.seq !== from + 1) {
      throw new LogCursorError(ErrorCode.SNAPSHOT_REQUIRED, `events after seq ${from} are no longer in the log (first held: ${first.seq})`, first.seq);
    }
    // Moved by seek() while the page was read: the caller asked for another position.
    if (this.#position === from) this.#position = page[page.length - 1]!.seq;
    return page;
  }

  /** Continue after `seq` instead (a reader that could not use the last page rewinds to what it kept). */
  seek(seq: number): void {
    this.#position = seq;
  }

  /** Resolves at the log's next commit, or when the cursor is closed. */
  nextCommit(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#unsubscribe ??= this.#log.onCommit(() => this.#wake());
    return new Promise((resolve) => this.#wakers.add(resolve));
  }

  /** Stop waiting: pending {@link nextCommit} calls resolve. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#wake();
  }

  #wake(): void {
    const wakers = [...this.#wakers];
    this.#wakers.clear();
    for (const wake of wakers) wake();
  }
}
