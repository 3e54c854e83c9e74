/**
 * The JetStream log's read side on one gateway: follows the whole stream in order (one consumer at
 * a time, see `stream-follower.ts`) and projects each group of messages into this gateway's index
 * (`jetstream-index.ts`: ids, counts, aggregates, consumed head, one transaction), then delivers
 * it to the commit listeners. `head` moves in the same synchronous step in which the listeners
 * run. Appends wait here until the consumer has brought their message back ({@link delivered}).
 * @module
 */
import type { JetStreamClient, JetStreamManager } from "nats";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";
import { markDuplicate } from "./commit.ts";
import type { CommitFeed } from "./commit-feed.ts";
import type { HorizonWatcher } from "./jetstream-horizon.ts";
import type { JetStreamIndex } from "./jetstream-index.ts";
import type { StreamEvent } from "./jetstream-stream.ts";
import type { NatsLink } from "./nats-link.ts";
import { StreamFollower } from "./stream-follower.ts";

export interface JetStreamProjectorOptions {
  readonly link: NatsLink;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly logger: Logger;
  readonly index: JetStreamIndex;
  readonly feed: CommitFeed;
  readonly horizon: HorizonWatcher;
  /** This gateway's origin: its own messages make up each commit's `own`. */
  readonly origin: string;
  /** How long {@link JetStreamProjector.delivered} waits (and, at most, consumer set-up). */
  readonly timeoutMs: number;
  /** Ask for {@link JetStreamProjector.flush} at the end of this turn (see `turn.ts`). */
  readonly requestFlush: () => void;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: SyncError) => void;
  /** performance.now() after which it fails. */
  readonly deadline: number;
}

/**
 * @example
 * const projector = new JetStreamProjector({ link, js, jsm, stream, logger, index, feed, horizon, origin, timeoutMs: 5000 });
 * projector.start();
 * await projector.delivered(ack.seq); // after publishing
 */
export class JetStreamProjector {
  readonly #o: JetStreamProjectorOptions;
  readonly #follower: StreamFollower;
  /** Messages received from the consumer and not yet recorded and delivered. */
  #buffer: StreamEvent[] = [];
  /** The buffer's last message: how many followed it in the stream, and when it arrived. */
  #bufferLast: { readonly pending: () => number; readonly at: number } | null = null;
  #caughtUpAt: number | null = null;
  #head: number;
  readonly #waiters = new Map<number, Waiter[]>();
  /** One timer for every waiter's timeout (not one each: appends can be tens of thousands a second). */
  #sweep: ReturnType<typeof setInterval> | null = null;

  constructor(options: JetStreamProjectorOptions) {
    this.#o = options;
    this.#head = options.index.head;
    this.#follower = new StreamFollower({
      link: options.link,
      js: options.js,
      jsm: options.jsm,
      stream: options.stream,
      logger: options.logger,
      head: () => this.#head,
      streamFirst: () => options.horizon.streamFirst,
      onMessage: (event, pending) => this.#receive(event, pending),
      // Received but not yet recorded: the next consumer brings them again.
      onReset: () => {
        this.#buffer = [];
        this.#bufferLast = null;
      },
      setupMs: Math.min(options.timeoutMs, 2_000),
    });
  }

  /** Last seq recorded in the index and delivered to the commit listeners. */
  get head(): number {
    return this.#head;
  }

  /**
   * performance.now() when the consumer last delivered a message that had nothing after it in the
   * stream, counting only messages already recorded (so the index holds everything up to that
   * point); null before the first. Every message stored after that moment has a higher seq.
   */
  get caughtUpAt(): number | null {
    return this.#caughtUpAt;
  }

  start(): void {
    this.#follower.start();
  }

  /** Replace the consumer (after a NATS reconnect: it may have lived on the server that went away). */
  restart(reason: string): void {
    this.#follower.restart(reason);
  }

  /** Stop consuming; what was received is still recorded and delivered. */
  async stop(): Promise<void> {
    await this.#follower.stop();
    this.flush();
    if (this.#sweep !== null) clearInterval(this.#sweep);
    this.#sweep = null;
  }

  /**
   * Resolves once `seq` has been delivered; rejects (LOG_UNAVAILABLE) after the timeout, and
   * replaces the consumer then: JetStream stored the message but the consumer did not bring it.
   */
  delivered(seq: number): Promise<void> {
    if (seq <= this.#head) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, deadline: performance.now() + this.#o.timeoutMs };
      const list = this.#waiters.get(seq);
      if (list) list.push(waiter);
      else this.#waiters.set(seq, [waiter]);
      if (this.#sweep === null) {
        this.#sweep = setInterval(() => this.#expire(), Math.max(50, Math.min(250, this.#o.timeoutMs / 4)));
        this.#sweep.unref?.();
      }
    });
  }

  /** Fail the waiters past their deadline; replace the consumer when one is still behind. */
  #expire(): void {
    const now = performance.now();
    const { timeoutMs } = this.#o;
    let late = false;
    for (const [seq, list] of this.#waiters) {
      const keep = list.filter((w) => w.deadline > now);
      if (keep.length === list.length) continue;
      for (const w of list) {
        if (w.deadline <= now) w.reject(new SyncError(ErrorCode.LOG_UNAVAILABLE, `stored at seq ${seq} but not consumed by this gateway within ${timeoutMs} ms; resend`));
      }
      if (keep.length > 0) this.#waiters.set(seq, keep);
      else this.#waiters.delete(seq);
      late ||= this.#head < seq;
    }
    // JetStream stored the message but the consumer did not bring it: start a new one.
    if (late) this.#follower.restart(`a stored seq was not consumed within ${timeoutMs} ms`);
    if (this.#waiters.size === 0 && this.#sweep !== null) {
      clearInterval(this.#sweep);
      this.#sweep = null;
    }
  }

  /** A message from the follower, in stream order: buffered and delivered with its group. */
  #receive(event: StreamEvent, pending: () => number): void {
    this.#buffer.push(event);
    this.#bufferLast = { pending, at: performance.now() };
    // Everything received in this turn of the event loop is recorded and delivered as one group.
    this.#o.requestFlush();
  }

  /** Record and deliver what was received (at the end of a turn). */
  flush(): void {
    const batch = this.#buffer;
    if (batch.length === 0) return;
    this.#buffer = [];
    // Only the group's last message is asked (parsing each one's reply subject cost ~1 µs a
    // message): when nothing followed it, the consumer was caught up when it arrived.
    const last = this.#bufferLast;
    this.#bufferLast = null;
    const caughtUpAt = last !== null && last.pending() === 0 ? last.at : null;
    let firsts: number[];
    try {
      firsts = this.#o.index.record(batch.map(({ event }) => event));
    } catch (error) {
      this.#o.logger.error("cannot record consumed events in the index; consuming again from the head", { error: String(error), head: this.#head });
      this.#follower.restart("index write failed");
      return;
    }
    const committed = batch.map(({ event }, i) => markDuplicate(event, firsts[i]!));
    const previous = this.#head;
    this.#head = committed[committed.length - 1]!.seq;
    if (caughtUpAt !== null) this.#caughtUpAt = caughtUpAt;
    this.#o.horizon.consumed(committed[0]!.seq, this.#head);
    // Listeners run in the same synchronous block that moved the head: catch-up relies on it.
    // Every gateway consumes every event; only the one that appended it republishes it (`own`).
    this.#o.feed.deliver(committed, (_, i) => batch[i]!.origin === this.#o.origin);
    for (let seq = previous + 1; seq <= this.#head; seq++) {
      const list = this.#waiters.get(seq);
      if (!list) continue;
      this.#waiters.delete(seq);
      for (const w of list) w.resolve();
    }
  }
}
