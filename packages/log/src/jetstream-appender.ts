/**
 * The JetStream log's write side on one gateway. Events appended in one turn of the event loop
 * are handled as one group: each is looked up in the index (a known id is answered with its first
 * seq at once), the others are published together (one socket write, `jetstream-publisher.ts`)
 * with the id as `Nats-Msg-Id` and this gateway's origin header, and each is answered when
 * JetStream's PubAck comes back.
 *
 * Which seq an id really has is decided by the consumer, the same way on every gateway (a
 * message that repeats an id stored before JetStream's duplicate window is a duplicate slot,
 * PROTOCOL.md §9.4). The PubAck's seq is that answer whenever no copy of the id can hide between
 * the index and the PubAck: the index held everything up to a point where this gateway's consumer
 * had nothing left to read (the projector's {@link JetStreamProjector.caughtUpAt}), and that
 * point is recent enough that every message stored after it is still inside JetStream's duplicate
 * window when the PubAck comes — then JetStream itself compared the id with all of them. Otherwise
 * (the consumer lags, or has been idle since long) the append waits for the consumer to bring the
 * message back and answers from the index, as every append used to. Registry events always take
 * that path, so `log.registry` holds a registry event once its append resolved (PROTOCOL.md §10).
 *
 * A dropped NATS connection fails every append in flight at once (retryable): what JetStream did
 * store is found again on resend.
 * @module
 */
import { ErrorCode, REGISTRY_TEMPLATE, SyncError, type ClientEvent } from "@kuzu-sync/protocol";
import type { AppendOutcome } from "./event-log.ts";
import type { JetStreamIndex } from "./jetstream-index.ts";
import type { JetStreamProjector } from "./jetstream-projector.ts";
import type { JetStreamPublisher, PubAck } from "./jetstream-publisher.ts";
import { DUPLICATE_WINDOW_MS, encodeStreamEvent } from "./jetstream-stream.ts";
import type { NatsLink } from "./nats-link.ts";

/**
 * How recent the consumer's last caught-up point must be for a PubAck's seq to be the answer.
 * A quarter of the duplicate window: the rest covers network delays, a stream replica that lags
 * behind its leader (the consumer may read from it) and clock rates.
 */
export const FRESH_FOR_MS = DUPLICATE_WINDOW_MS / 4;

export interface JetStreamAppenderOptions {
  readonly link: NatsLink;
  readonly index: JetStreamIndex;
  readonly projector: JetStreamProjector;
  /** The connection's publisher (null until NATS first connects). */
  readonly publisher: () => JetStreamPublisher | null;
  readonly now: () => number;
  /** Ask for {@link JetStreamAppender.flush} at the end of this turn (see `turn.ts`). */
  readonly requestFlush: () => void;
  /**
   * How recent the consumer's caught-up point must be for a PubAck's seq to be the answer
   * (default {@link FRESH_FOR_MS}); 0: every append waits for the consumer.
   */
  readonly freshForMs?: number;
}

interface Queued {
  readonly event: ClientEvent;
  readonly resolve: (outcome: AppendOutcome) => void;
  readonly reject: (error: unknown) => void;
}

const unavailable = (message: string): SyncError => new SyncError(ErrorCode.LOG_UNAVAILABLE, message);

/**
 * @example
 * const appender = new JetStreamAppender({ link, index, projector, publisher: () => publisher, now: Date.now });
 * const { seq, duplicate } = await appender.append(event);
 */
export class JetStreamAppender {
  readonly #o: JetStreamAppenderOptions;
  #queue: Queued[] = [];
  /** Appends waiting for the consumer after their PubAck (the slow path). */
  readonly #waiting = new Set<Queued>();
  #closed = false;

  constructor(options: JetStreamAppenderOptions) {
    this.#o = options;
  }

  append(event: ClientEvent): Promise<AppendOutcome> {
    if (this.#closed) return Promise.reject(unavailable("event log is closed"));
    return new Promise<AppendOutcome>((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      // Everything appended in this turn is published together: one write to NATS.
      this.#o.requestFlush();
    });
  }

  /** Answer every append in flight now with `error` (they would otherwise wait for their timeout). */
  failInFlight(error: SyncError): void {
    this.#o.publisher()?.failAll(error);
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const q of waiting) q.reject(error);
  }

  /** Refuse new appends and fail those in flight. */
  close(): void {
    this.#closed = true;
    const queued = this.#queue;
    this.#queue = [];
    for (const q of queued) q.reject(unavailable("event log is closed"));
    this.failInFlight(unavailable("event log is closed"));
  }

  /** Publish what was appended (at the end of a turn). */
  flush(): void {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const { index, link, projector } = this.#o;
    const publisher = this.#o.publisher();
    if (this.#closed || publisher === null || !link.connected) {
      const error = this.#closed ? unavailable("event log is closed") : unavailable("NATS is unreachable; resend later");
      for (const q of batch) q.reject(error);
      return;
    }
    // Taken in the same synchronous step as the index lookups below: the index holds at least
    // everything up to that caught-up point.
    const caughtUpAt = projector.caughtUpAt;
    const serverTimestamp = this.#o.now();
    for (const q of batch) {
      const known = index.firstSeq(q.event.id);
      if (known !== null) {
        q.resolve({ seq: known, duplicate: true });
        continue;
      }
      publisher.publish(q.event.id, encodeStreamEvent(q.event, serverTimestamp)).then(
        (ack) => this.#acked(q, ack, caughtUpAt),
        (error: unknown) => q.reject(error),
      );
    }
  }

  #acked(q: Queued, ack: PubAck, caughtUpAt: number | null): void {
    // A registry event is answered only once this gateway consumed it: start-up reads the registry
    // history (`log.registry`) right after the append, and must see the version that won.
    const consumedFirst = q.event.template === REGISTRY_TEMPLATE;
    if (!consumedFirst && caughtUpAt !== null && performance.now() - caughtUpAt < (this.#o.freshForMs ?? FRESH_FOR_MS)) {
      // Every message after the index's contents was stored within the duplicate window of this
      // one, so JetStream compared the id with all of them: its seq is the id's first.
      q.resolve({ seq: ack.seq, duplicate: ack.duplicate });
      return;
    }
    this.#waiting.add(q);
    this.#o.projector.delivered(ack.seq).then(
      () => {
        if (!this.#waiting.delete(q)) return; // failed meanwhile
        const first = this.#o.index.firstSeq(q.event.id);
        if (first === null) q.reject(new SyncError(ErrorCode.INTERNAL, `stream seq ${ack.seq} for event ${q.event.id} was consumed but not indexed`));
        else q.resolve({ seq: first, duplicate: ack.duplicate || first !== ack.seq });
      },
      (error: unknown) => {
        if (this.#waiting.delete(q)) q.reject(error);
      },
    );
  }
}
