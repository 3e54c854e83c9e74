/**
 * Live fan-out with slow-consumer eviction. Committed events go to every live socket through one
 * `server.publish` (native: one encode per gateway, whatever the number of sockets). A socket that
 * stops reading makes the gateway buffer for it; past the backpressure limit it is closed with
 * 4008 so it cannot grow memory without bound, and it reconnects and catches up from its own
 * `lastSeq` — no gap, and nobody else waits.
 *
 * Frames are paced: at most one `events` frame per interval, `intervalMs` (default 10) with
 * `pacedFrom` (default 1000) live sockets or more, proportionally less with fewer. A commit after
 * a quiet spell goes out at once; commits that follow within the interval are merged into the next
 * frame (still ascending and contiguous). Every frame costs a write per live socket, and under
 * many writers commits come in thousands per second: with a thousand sockets that was a million
 * writes a second, most of them for one or two events. Scaled by the sockets, the bound is about
 * `pacedFrom / intervalMs` socket writes per ms whatever their number, and a gateway with a few
 * clients (an application's own write, read back at once) is not held back at all. A socket joins only after what is queued
 * has gone out to the sockets already live (`join` flushes first), which keeps the switch from
 * catch-up to live free of gaps and duplicates.
 * @module
 */
import type { Server, ServerWebSocket } from "bun";
import { CloseCode, encodeServerMessage, type SequencedEvent } from "@kuzu-sync/protocol";

/** Topic every live connection is subscribed to once caught up. */
const EVENTS_TOPIC = "events";

/** Options of {@link FanOut}. */
export interface FanOutOptions<T> {
  /** A live socket buffering more than this is closed (4008). */
  readonly backpressureLimit: number;
  readonly onEvict: (ws: ServerWebSocket<T>, bufferedBytes: number) => void;
  /** Events just written to every live socket (for statistics). */
  readonly onPublished?: (events: readonly SequencedEvent[]) => void;
  /** At most one frame per this many ms with `pacedFrom` live sockets or more (default 10; 0: one frame per commit). */
  readonly intervalMs?: number;
  /** Live sockets from which the whole interval applies; with fewer it shrinks in proportion (default 1000). */
  readonly pacedFrom?: number;
  /** A frame goes at once when this many events are queued (default 1000). */
  readonly maxEvents?: number;
}

/**
 * @example
 * const fanOut = new FanOut({ backpressureLimit: 4 << 20, onEvict: (ws, buffered) => log.warn("slow consumer", { buffered }) });
 * fanOut.attach(server);
 * fanOut.join(ws);            // once caught up
 * fanOut.commit(events);      // on every commit
 */
export class FanOut<T> {
  readonly #limit: number;
  readonly #onEvict: (ws: ServerWebSocket<T>, bufferedBytes: number) => void;
  readonly #onPublished: (events: readonly SequencedEvent[]) => void;
  readonly #intervalMs: number;
  readonly #pacedFrom: number;
  readonly #maxEvents: number;
  readonly #live = new Set<ServerWebSocket<T>>();
  #server: Server<T> | null = null;
  /** Committed, not yet published (waiting for the interval). */
  #queued: SequencedEvent[] = [];
  #lastFrameAt = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Sockets closed for being slow, since start. */
  evicted = 0;

  constructor(options: FanOutOptions<T>) {
    this.#limit = options.backpressureLimit;
    this.#onEvict = options.onEvict;
    this.#onPublished = options.onPublished ?? (() => {});
    this.#intervalMs = options.intervalMs ?? 10;
    this.#pacedFrom = Math.max(1, options.pacedFrom ?? 1_000);
    this.#maxEvents = options.maxEvents ?? 1_000;
  }

  /** Bun's own per-socket cap sits above ours, so our check (and its close code) always comes first. */
  get bunBackpressureLimit(): number {
    return Math.min(2 ** 32 - 1, this.#limit * 2 + (1 << 20));
  }

  attach(server: Server<T>): void {
    this.#server = server;
  }

  /**
   * Subscribe a caught-up socket. Call in the same synchronous step as the head check: what is
   * queued (the socket had it in catch-up) goes out to the others first.
   */
  join(ws: ServerWebSocket<T>): void {
    this.flush();
    ws.subscribe(EVENTS_TOPIC);
    this.#live.add(ws);
  }

  leave(ws: ServerWebSocket<T>): void {
    this.#live.delete(ws);
  }

  get liveCount(): number {
    return this.#live.size;
  }

  /**
   * A commit's events (ascending, following what was queued): out at once when no frame went out
   * within the interval, else with the next frame.
   */
  commit(events: readonly SequencedEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) this.#queued.push(e);
    const interval = this.#intervalMs * Math.min(1, this.#live.size / this.#pacedFrom);
    const wait = this.#lastFrameAt + interval - performance.now();
    if (wait <= 0 || this.#queued.length >= this.#maxEvents) return this.flush();
    this.#timer ??= setTimeout(() => this.flush(), Math.ceil(wait));
  }

  /** Publish what is queued now (also before a socket joins, and when the gateway stops). */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const events = this.#queued;
    if (events.length === 0) return;
    this.#queued = [];
    this.#lastFrameAt = performance.now();
    this.#publish(encodeServerMessage({ type: "events", events }));
    this.#onPublished(events);
  }

  /** Send one frame to every live socket, then evict those now past the limit. */
  #publish(frame: string): void {
    const status = this.#server?.publish(EVENTS_TOPIC, frame) ?? 0;
    // publish() says -1 when any subscriber was backpressured (0 when none was subscribed or a
    // send was dropped): only then is the per-socket scan needed.
    if (status > 0) return;
    for (const ws of this.#live) this.check(ws);
  }

  /** Evict `ws` if it is live and its unsent bytes exceed the limit (after a direct send, too). */
  check(ws: ServerWebSocket<T>): void {
    if (!this.#live.has(ws)) return;
    const buffered = ws.getBufferedAmount();
    if (buffered <= this.#limit) return;
    this.#live.delete(ws);
    ws.unsubscribe(EVENTS_TOPIC);
    this.evicted++;
    this.#onEvict(ws, buffered);
    // What is already buffered is still delivered, then this close frame; the client resumes from
    // the last seq it applied.
    ws.close(CloseCode.SLOW_CONSUMER, "slow consumer");
  }
}
