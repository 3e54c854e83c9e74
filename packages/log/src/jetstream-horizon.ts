/**
 * The JetStream log's horizon as one gateway sees it: the first seq the shared stream still holds,
 * with the stream's last seq and size for the metrics. Refreshed from stream info every 10 s and
 * whenever sync-archiver announces a purge on core NATS (at most once, hence the timer too), and
 * moved at once when a read finds the stream starting later than thought.
 * @module
 */
import type { JetStreamManager, NatsConnection, Subscription } from "nats";
import type { Logger } from "@kuzu-sync/telemetry";
import { horizonSubject } from "./jetstream-coordination.ts";
import { streamHorizon } from "./jetstream-stream.ts";
import type { NatsLink } from "./nats-link.ts";

/** The parts of a stream's state the watcher keeps. */
export interface StreamState {
  readonly first_seq: number;
  readonly last_seq: number;
  readonly messages: number;
  readonly bytes: number;
}

export interface HorizonWatcherOptions {
  readonly link: NatsLink;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly logger: Logger;
  /** The head this gateway has consumed: a gateway behind a fully purged stream keeps head + 1. */
  readonly head: () => number;
  /** How often stream info is read (default 10 s). */
  readonly pollMs?: number;
}

/**
 * @example
 * const horizon = new HorizonWatcher({ link, jsm, stream, logger, head: () => head });
 * horizon.update(info.state);
 * horizon.start(nc);
 * horizon.seq; // first seq held
 */
export class HorizonWatcher {
  readonly #o: HorizonWatcherOptions;
  /** Null until the first stream info: head + 1 meanwhile. */
  #horizon: number | null = null;
  #first = 0;
  #last = 0;
  #bytes = 0;
  #timer: ReturnType<typeof setInterval> | null = null;
  #subscription: Subscription | null = null;
  #closed = false;

  constructor(options: HorizonWatcherOptions) {
    this.#o = options;
  }

  /** First seq still held. */
  get seq(): number {
    return this.#horizon ?? this.#o.head() + 1;
  }

  /** The stream's first seq as last seen (a consumer's jump to it is expected, not a loss). */
  get streamFirst(): number {
    return this.#first;
  }

  /** The stream's last seq and size in bytes, as of the last stream info. */
  get streamState(): { readonly lastSeq: number; readonly bytes: number } {
    return { lastSeq: this.#last, bytes: this.#bytes };
  }

  /** Poll, and listen for the archiver's announcements. */
  start(nc: NatsConnection): void {
    this.#timer = setInterval(() => void this.refresh(), this.#o.pollMs ?? 10_000);
    this.#timer.unref?.();
    this.#subscription = nc.subscribe(horizonSubject(this.#o.stream), { callback: () => void this.refresh() });
  }

  /** Take a stream info's state. */
  update(state: StreamState): void {
    this.#first = state.first_seq;
    this.#last = state.last_seq;
    this.#bytes = state.bytes;
    // A fully purged stream starts at last seq + 1, past the head of a gateway that lags.
    this.#horizon = state.messages === 0 ? Math.max(this.#o.head() + 1, streamHorizon(state)) : state.first_seq;
  }

  /** A read after `afterSeq` started at `firstHeld`: archived since the horizon was last read. */
  readStartedAt(afterSeq: number, firstHeld: number): void {
    if (firstHeld > afterSeq + 1 && firstHeld > this.seq) {
      this.#horizon = firstHeld;
      this.#first = firstHeld;
    }
  }

  /** The consumer delivered `(…, head]` starting at `first`: those events are held after all. */
  consumed(first: number, head: number): void {
    if (this.seq > head) this.#horizon = first;
  }

  async refresh(): Promise<void> {
    if (!this.#o.link.connected || this.#closed) return;
    try {
      this.update((await this.#o.jsm.streams.info(this.#o.stream)).state);
    } catch (error) {
      this.#o.logger.debug("stream info failed", { error: String(error) });
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#subscription?.unsubscribe();
  }
}
