/**
 * The JetStream log's write side on one gateway: publishes each event on the log subject with its
 * id as `Nats-Msg-Id` and this gateway's origin header, waits for JetStream's ack, then for its own
 * consumer to bring the message back (the projector), because which seq an id really has is
 * decided there, the same way on every gateway. A dropped NATS connection fails every append in
 * flight at once (retryable): what JetStream did store is found again on resend.
 * @module
 */
import { headers, type JetStreamClient, type JetStreamPublishOptions } from "nats";
import { ErrorCode, SyncError, type ClientEvent } from "@kuzu-sync/protocol";
import type { AppendOutcome } from "./event-log.ts";
import type { JetStreamIndex } from "./jetstream-index.ts";
import type { JetStreamProjector } from "./jetstream-projector.ts";
import { encodeStreamEvent, logSubject, ORIGIN_HEADER, within } from "./jetstream-stream.ts";
import type { NatsLink } from "./nats-link.ts";

export interface JetStreamAppenderOptions {
  readonly link: NatsLink;
  readonly js: JetStreamClient;
  readonly stream: string;
  readonly index: JetStreamIndex;
  readonly projector: JetStreamProjector;
  /** This gateway's origin id, sent in {@link ORIGIN_HEADER}. */
  readonly origin: string;
  readonly now: () => number;
  /** How long an append waits for JetStream's ack, then for the projector. */
  readonly timeoutMs: number;
}

interface InFlight {
  readonly reject: (error: SyncError) => void;
}

const unavailable = (message: string, cause?: unknown): SyncError =>
  new SyncError(ErrorCode.LOG_UNAVAILABLE, message, cause === undefined ? undefined : { cause });

/**
 * @example
 * const appender = new JetStreamAppender({ link, js, stream, index, projector, origin, now: Date.now, timeoutMs: 5000 });
 * const { seq, duplicate } = await appender.append(event);
 */
export class JetStreamAppender {
  readonly #o: JetStreamAppenderOptions;
  readonly #subject: string;
  readonly #inFlight = new Set<InFlight>();
  #closed = false;

  constructor(options: JetStreamAppenderOptions) {
    this.#o = options;
    this.#subject = logSubject(options.stream);
  }

  async append(event: ClientEvent): Promise<AppendOutcome> {
    const { index, link, timeoutMs } = this.#o;
    if (this.#closed) throw unavailable("event log is closed");
    const known = index.firstSeq(event.id);
    if (known !== null) return { seq: known, duplicate: true };
    if (!link.connected) throw unavailable("NATS is unreachable; resend later");
    let inFlight!: InFlight;
    const aborted = new Promise<never>((_, reject) => (inFlight = { reject }));
    this.#inFlight.add(inFlight);
    try {
      const h = headers();
      h.set(ORIGIN_HEADER, this.#o.origin);
      let ack;
      try {
        ack = await Promise.race([
          within(
            this.#o.js.publish(this.#subject, encodeStreamEvent(event, this.#o.now()), {
              msgID: event.id,
              headers: h,
              timeout: timeoutMs,
              // 503 = no stream leader right now (an election after a node loss): ask again here
              // for a couple of seconds rather than send every client into a resend loop.
              retries: 8,
              retry_delay: 250,
            } as Partial<JetStreamPublishOptions>),
            timeoutMs + 2_000,
            "publishing to JetStream",
          ),
          aborted,
        ]);
      } catch (error) {
        throw error instanceof SyncError ? error : unavailable(`JetStream did not store the event: ${String(error)}`, error);
      }
      // The ack says where JetStream put this message. Which seq the id really has — this one,
      // or a lower one if the message repeats an id stored before the duplicate window — is
      // decided by the consumer, the same way on every gateway; wait for it.
      await Promise.race([this.#o.projector.delivered(ack.seq), aborted]);
      const first = index.firstSeq(event.id);
      if (first === null) throw new SyncError(ErrorCode.INTERNAL, `stream seq ${ack.seq} for event ${event.id} was consumed but not indexed`);
      return { seq: first, duplicate: ack.duplicate || first !== ack.seq };
    } finally {
      this.#inFlight.delete(inFlight);
    }
  }

  /** Answer every append in flight now with `error` (they would otherwise wait for their timeout). */
  failInFlight(error: SyncError): void {
    for (const f of this.#inFlight) f.reject(error);
    this.#inFlight.clear();
  }

  /** Refuse new appends and fail those in flight. */
  close(): void {
    this.#closed = true;
    this.failInFlight(unavailable("event log is closed"));
  }
}
