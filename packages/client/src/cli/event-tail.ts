/**
 * A replica-less reader of the event stream, for `watch`: says hello with the seq to start after,
 * prints what arrives, and on a lost connection resumes after the last seq it delivered.
 *
 * Why not a SyncClient: its replica must replay the whole history into KuzuDB before the first
 * event it emits (an in-memory replica starts at seq 0), so `watch --from-seq 1000000` would
 * apply a million events just to print the ones after. Watching needs no graph state; the
 * gateway streams `(lastSeq, head]` to anyone who asks, and the protocol's parse boundary is
 * reused, so this is only the socket loop.
 * @module
 */
import { ErrorCode, SyncError, encodeClientMessage, parseServerMessage, type SequencedEvent, type WelcomeMessage } from "@kuzu-sync/protocol";
import { backoffDelay } from "../backoff.ts";

export interface EventTailOptions {
  readonly url: string;
  readonly clientId: string;
  /** Sent as `Authorization: Bearer` when set. */
  readonly token?: string | null;
  /** Deliver events with seq greater than this. */
  readonly afterSeq: number;
  readonly onEvent: (event: SequencedEvent) => void;
  readonly onWelcome?: (welcome: WelcomeMessage, reconnect: boolean) => void;
  readonly onDisconnect?: (info: { code: number; reason: string; retryInMs: number }) => void;
  /** A server `error` frame that does not end the tail (fatal ones reject `done`). */
  readonly onError?: (error: SyncError) => void;
}

/**
 * @example
 * const tail = new EventTail({ url, clientId: "watch-1", afterSeq: 0, onEvent: (e) => console.log(e.seq) });
 * await tail.start();
 * await tail.done; // until tail.stop() or a fatal error
 */
export class EventTail {
  readonly #options: EventTailOptions;
  #after: number;
  #ws: WebSocket | null = null;
  #attempt = 0;
  #stopped = false;
  #welcomed = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #resolveDone!: () => void;
  #rejectDone!: (error: SyncError) => void;
  #firstWelcome: { resolve: (w: WelcomeMessage) => void; reject: (e: SyncError) => void } | null = null;
  /** Settles when the tail ends: stop() resolves it, a fatal error rejects it. */
  readonly done: Promise<void>;

  constructor(options: EventTailOptions) {
    this.#options = options;
    this.#after = options.afterSeq;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.done.catch(() => {});
  }

  /** Highest seq delivered so far (or the start point). */
  get lastSeq(): number {
    return this.#after;
  }

  /** Connect; resolves with the first welcome, rejects if the first connection fails. */
  start(): Promise<WelcomeMessage> {
    const first = new Promise<WelcomeMessage>((resolve, reject) => (this.#firstWelcome = { resolve, reject }));
    this.#dial();
    return first;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#ws?.close(1000, "watch stopped");
    this.#ws = null;
    this.#firstWelcome?.reject(new SyncError(ErrorCode.CLOSED, "stopped"));
    this.#resolveDone();
  }

  #fatal(error: SyncError): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#ws?.close(1000, "watch failed");
    this.#ws = null;
    this.#firstWelcome?.reject(error);
    this.#firstWelcome = null;
    this.#rejectDone(error);
  }

  #dial(): void {
    const token = this.#options.token;
    const ws = token ? new WebSocket(this.#options.url, { headers: { Authorization: `Bearer ${token}` } }) : new WebSocket(this.#options.url);
    this.#ws = ws;
    ws.onopen = () => ws.send(encodeClientMessage({ type: "hello", clientId: this.#options.clientId, lastSeq: this.#after }));
    ws.onmessage = (m) => {
      if (this.#ws === ws) this.#onMessage(m.data as string);
    };
    ws.onclose = (e) => {
      if (this.#ws !== ws || this.#stopped) return;
      this.#ws = null;
      if (this.#firstWelcome) {
        this.#fatal(new SyncError(ErrorCode.CLOSED, `connection to ${this.#options.url} closed before the handshake (${e.code} ${e.reason})`));
        return;
      }
      const retryInMs = backoffDelay(this.#attempt++, { initialDelayMs: 100, maxDelayMs: 3_000 });
      this.#options.onDisconnect?.({ code: e.code, reason: e.reason, retryInMs });
      this.#timer = setTimeout(() => this.#dial(), retryInMs);
    };
    ws.onerror = () => {
      // onclose follows.
    };
  }

  #onMessage(frame: string): void {
    const parsed = parseServerMessage(frame);
    if (!parsed.ok) {
      this.#options.onError?.(new SyncError(parsed.code, `bad frame from server: ${parsed.message}`));
      return;
    }
    const msg = parsed.message;
    if (msg.type === "welcome") {
      const reconnect = this.#welcomed;
      this.#welcomed = true;
      this.#attempt = 0;
      this.#options.onWelcome?.(msg as WelcomeMessage, reconnect);
      this.#firstWelcome?.resolve(msg as WelcomeMessage);
      this.#firstWelcome = null;
    } else if (msg.type === "events") {
      for (const e of msg.events) {
        if (this.#stopped) return;
        // Redelivery after a reconnect is skipped; the gateway never skips a seq.
        if (e.seq <= this.#after) continue;
        this.#after = e.seq;
        this.#options.onEvent(e);
      }
    } else if (msg.type === "error") {
      const error = new SyncError(msg.code, msg.message);
      if (msg.code === ErrorCode.SNAPSHOT_REQUIRED) this.#fatal(error);
      else this.#options.onError?.(error);
    }
    // ack / reject / live concern writers and replicas; a tail has neither.
  }
}
