/**
 * Pipelined publishing to a JetStream stream: every message is a core NATS publish whose reply
 * subject is one token under this publisher's own inbox, and one subscription on that inbox
 * answers them all (the async-publish pattern of the NATS clients). Compared with
 * `js.publish()` per message, nothing is made per message but the message itself and its
 * pending entry: no request object, no timer, no captured stack. Messages published in one turn
 * go out in one socket write (the NATS client flushes once per microtask checkpoint).
 *
 * The answer is JetStream's PubAck: the stream seq where the message is (or, within the
 * duplicate window, where its first copy is). "No responders" (no stream leader, during an
 * election) is asked again every `retryDelayMs` for `retryForMs`; no answer within `timeoutMs`
 * fails the message with LOG_UNAVAILABLE (timeouts are swept, not timed one by one).
 * @module
 */
import { createInbox, headers, type Msg, type NatsConnection, type NatsError, type Payload, type Subscription } from "nats";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import { ORIGIN_HEADER } from "./jetstream-stream.ts";

/** JetStream's answer to a stored (or recognised) message. */
export interface PubAck {
  readonly seq: number;
  readonly duplicate: boolean;
}

export interface JetStreamPublisherOptions {
  readonly nc: NatsConnection;
  readonly subject: string;
  /** Sent in {@link ORIGIN_HEADER} with every message. */
  readonly origin: string;
  /** No PubAck within this long: LOG_UNAVAILABLE. */
  readonly timeoutMs: number;
  /** How long "no responders" (no stream leader) is asked again (default 2000). */
  readonly retryForMs?: number;
  readonly retryDelayMs?: number;
}

interface Pending {
  readonly msgId: string;
  readonly data: Payload;
  readonly resolve: (ack: PubAck) => void;
  readonly reject: (error: SyncError) => void;
  /** performance.now() after which it fails. */
  readonly deadline: number;
  /** performance.now() until which "no responders" is asked again. */
  readonly retryUntil: number;
}

const unavailable = (message: string): SyncError => new SyncError(ErrorCode.LOG_UNAVAILABLE, message);

/**
 * @example
 * const publisher = new JetStreamPublisher({ nc, subject: logSubject("EVENTS"), origin, timeoutMs: 5000 });
 * const { seq, duplicate } = await publisher.publish(event.id, encoder.encode(body));
 */
export class JetStreamPublisher {
  readonly #o: JetStreamPublisherOptions;
  readonly #prefix: string;
  readonly #subscription: Subscription;
  readonly #pending = new Map<string, Pending>();
  readonly #sweep: ReturnType<typeof setInterval>;
  #next = 0;
  #closed = false;

  constructor(options: JetStreamPublisherOptions) {
    this.#o = options;
    this.#prefix = `${createInbox()}.`;
    this.#subscription = options.nc.subscribe(`${this.#prefix}*`, { callback: (error, msg) => this.#answer(error, msg) });
    this.#sweep = setInterval(() => this.#expire(), Math.max(50, Math.min(250, options.timeoutMs / 4)));
    this.#sweep.unref?.();
  }

  /** Messages published and not answered yet. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Publish `data` with `Nats-Msg-Id: msgId`; resolves with JetStream's PubAck. */
  publish(msgId: string, data: Payload): Promise<PubAck> {
    if (this.#closed) return Promise.reject(unavailable("publisher is closed"));
    return new Promise<PubAck>((resolve, reject) => {
      const now = performance.now();
      const token = (this.#next++).toString(36);
      this.#pending.set(token, { msgId, data, resolve, reject, deadline: now + this.#o.timeoutMs, retryUntil: now + (this.#o.retryForMs ?? 2_000) });
      this.#send(token, msgId, data);
    });
  }

  /** Fail everything in flight (the connection dropped: answers may never come). */
  failAll(error: SyncError): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    this.failAll(unavailable("event log is closed"));
    this.#subscription.unsubscribe();
  }

  #send(token: string, msgId: string, data: Payload): void {
    const h = headers();
    h.set("Nats-Msg-Id", msgId);
    h.set(ORIGIN_HEADER, this.#o.origin);
    try {
      this.#o.nc.publish(this.#o.subject, data, { reply: this.#prefix + token, headers: h });
    } catch (error) {
      const p = this.#pending.get(token);
      this.#pending.delete(token);
      p?.reject(unavailable(`cannot publish to JetStream: ${String(error)}`));
    }
  }

  #answer(error: NatsError | null, msg: Msg): void {
    const token = msg.subject.slice(this.#prefix.length);
    const p = this.#pending.get(token);
    if (p === undefined) return; // answered already, or timed out
    // 503: nobody answers the subject right now (no stream leader during an election).
    const noResponders = msg.headers?.code === 503 || (error !== null && String(error.code) === "503");
    if (noResponders) {
      if (performance.now() < p.retryUntil) {
        setTimeout(() => this.#pending.has(token) && this.#send(token, p.msgId, p.data), this.#o.retryDelayMs ?? 250);
        return;
      }
      this.#pending.delete(token);
      return p.reject(unavailable("JetStream has no stream leader right now (no responders); resend"));
    }
    this.#pending.delete(token);
    if (error !== null) return p.reject(unavailable(`JetStream did not store the event: ${error.message}`));
    let ack: { stream?: string; seq?: number; duplicate?: boolean; error?: { description?: string; code?: number } };
    try {
      ack = msg.json();
    } catch {
      return p.reject(unavailable("JetStream answered something that is not a PubAck"));
    }
    if (ack.error) return p.reject(unavailable(`JetStream did not store the event: ${ack.error.description ?? "error"} (${ack.error.code ?? "?"})`));
    if (typeof ack.seq !== "number" || !ack.stream) return p.reject(unavailable("JetStream answered something that is not a PubAck"));
    p.resolve({ seq: ack.seq, duplicate: ack.duplicate === true });
  }

  #expire(): void {
    const now = performance.now();
    for (const [token, p] of this.#pending) {
      // Deadlines grow with insertion order (one timeout for all): the first one still running ends the sweep.
      if (p.deadline > now) break;
      this.#pending.delete(token);
      p.reject(unavailable(`publishing to JetStream: no answer from NATS within ${this.#o.timeoutMs} ms`));
    }
  }
}
