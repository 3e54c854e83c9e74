/**
 * Live fan-out with slow-consumer eviction. Committed events go to every live socket through one
 * `server.publish` (native, one encode). A socket that stops reading makes the gateway buffer
 * for it; past the backpressure limit it is closed with 4008 so it cannot grow memory without
 * bound, and it reconnects and catches up from its own `lastSeq` — no gap, and nobody else waits.
 * @module
 */
import type { Server, ServerWebSocket } from "bun";
import { CloseCode } from "@kuzu-sync/protocol";

/** Topic every live connection is subscribed to once caught up. */
const EVENTS_TOPIC = "events";

/**
 * @example
 * const fanOut = new FanOut(4 << 20, (ws, buffered) => log.warn("slow consumer", { buffered }));
 * fanOut.attach(server);
 * fanOut.join(ws);            // once caught up
 * fanOut.publish(frame);      // on every commit
 */
export class FanOut<T> {
  readonly #limit: number;
  readonly #onEvict: (ws: ServerWebSocket<T>, bufferedBytes: number) => void;
  readonly #live = new Set<ServerWebSocket<T>>();
  #server: Server<T> | null = null;
  /** Sockets closed for being slow, since start. */
  evicted = 0;

  constructor(backpressureLimit: number, onEvict: (ws: ServerWebSocket<T>, bufferedBytes: number) => void) {
    this.#limit = backpressureLimit;
    this.#onEvict = onEvict;
  }

  /** Bun's own per-socket cap sits above ours, so our check (and its close code) always comes first. */
  get bunBackpressureLimit(): number {
    return Math.min(2 ** 32 - 1, this.#limit * 2 + (1 << 20));
  }

  attach(server: Server<T>): void {
    this.#server = server;
  }

  /** Subscribe a caught-up socket. Call in the same synchronous step as the head check. */
  join(ws: ServerWebSocket<T>): void {
    ws.subscribe(EVENTS_TOPIC);
    this.#live.add(ws);
  }

  leave(ws: ServerWebSocket<T>): void {
    this.#live.delete(ws);
  }

  get liveCount(): number {
    return this.#live.size;
  }

  /** Send one frame to every live socket, then evict those now past the limit. */
  publish(frame: string): void {
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
