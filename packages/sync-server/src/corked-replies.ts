/**
 * Replies written outside a socket callback, chiefly the acks of a group commit, are queued per
 * socket and written in one `ws.cork()` each. Bun corks the `message`, `open` and `drain`
 * callbacks by itself, but an ack is sent when its commit resolves, outside any callback, where
 * every `send` would be a write of its own: one syscall per event instead of one per socket and
 * commit.
 * @module
 */
import type { ServerWebSocket } from "bun";

/**
 * @example
 * const replies = new CorkedReplies<Data>((ws, frame) => ws.send(frame));
 * log.append([event]).then(([o]) => replies.queue(ws, encodeServerMessage({ type: "ack", ... })));
 */
export class CorkedReplies<T> {
  readonly #write: (ws: ServerWebSocket<T>, frame: string) => void;
  #queued = new Map<ServerWebSocket<T>, string[]>();
  #scheduled = false;

  /** `write` sends one frame on an open socket (and handles backpressure). */
  constructor(write: (ws: ServerWebSocket<T>, frame: string) => void) {
    this.#write = write;
  }

  /**
   * Queue `frame` for `ws`. Everything queued until the current microtasks have run (the acks of
   * one commit resolve together) goes out corked, in queue order per socket.
   */
  queue(ws: ServerWebSocket<T>, frame: string): void {
    const frames = this.#queued.get(ws);
    if (frames) frames.push(frame);
    else this.#queued.set(ws, [frame]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const queued = this.#queued;
    this.#queued = new Map();
    for (const [ws, frames] of queued) {
      if (ws.readyState !== 1) continue;
      ws.cork(() => {
        for (const frame of frames) this.#write(ws, frame);
      });
    }
  }
}
