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
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
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
  #flushScheduled = false;
  #head: number;
  readonly #waiters = new Map<number, Waiter[]>();

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
      onMessage: (event) => this.#receive(event),
      // Received but not yet recorded: the next consumer brings them again.
      onReset: () => void (this.#buffer = []),
      setupMs: Math.min(options.timeoutMs, 2_000),
    });
  }

  /** Last seq recorded in the index and delivered to the commit listeners. */
  get head(): number {
    return this.#head;
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
    this.#flush();
  }

  /**
   * Resolves once `seq` has been delivered; rejects (LOG_UNAVAILABLE) after the timeout, and
   * replaces the consumer then: JetStream stored the message but the consumer did not bring it.
   */
  delivered(seq: number): Promise<void> {
    if (seq <= this.#head) return Promise.resolve();
    const { timeoutMs } = this.#o;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.#waiters.get(seq);
        const i = list?.indexOf(waiter) ?? -1;
        if (list && i >= 0) list.splice(i, 1);
        if (this.#head < seq) this.#follower.restart(`seq ${seq} not consumed within ${timeoutMs} ms`);
        reject(new SyncError(ErrorCode.LOG_UNAVAILABLE, `stored at seq ${seq} but not consumed by this gateway within ${timeoutMs} ms; resend`));
      }, timeoutMs);
      const waiter: Waiter = { seq, resolve: () => (clearTimeout(timer), resolve()) };
      const list = this.#waiters.get(seq);
      if (list) list.push(waiter);
      else this.#waiters.set(seq, [waiter]);
    });
  }

  /** A message from the follower, in stream order: buffered and delivered with its group. */
  #receive(event: StreamEvent): void {
    this.#buffer.push(event);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // Everything received in this turn of the event loop is recorded and delivered as one group.
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#buffer;
    if (batch.length === 0) return;
    this.#buffer = [];
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
