/**
 * The JetStream event log: a stream shared by any number of gateways is the log; the stream
 * sequence is the event `seq`. Each gateway consumes the whole stream in order (its own
 * ephemeral consumer, checked by stream seq and replaced after any failure) to feed its sockets
 * and its server replica, and keeps a local index (id → first seq, per-template and per-client
 * counts, aggregates, consumed head) built from what it consumed, so every gateway answers
 * `/stats` and `/aggregates` the same way at the same head.
 *
 * `headSeq` is the last seq this gateway's consumer has delivered to its commit listeners — not
 * the stream's last seq — and it moves in the same synchronous step in which the listeners run,
 * which is what the gateway's gap-free switch from catch-up to live relies on.
 * @module
 */
import { headers, type JetStreamClient, type JetStreamManager, type JetStreamPublishOptions, type NatsConnection, type Subscription } from "nats";
import { ErrorCode, SyncError, type ClientEvent, type SequencedEvent, type WireAggregate } from "@kuzu-sync/protocol";
import { horizonSubject } from "./jetstream-coordination.ts";
import type { Logger } from "@kuzu-sync/telemetry";
import type { AggregateReader } from "./aggregate-store.ts";
import type { AppendOutcome, CommitListener, EventLog } from "./event-log.ts";
import { JetStreamIndex } from "./jetstream-index.ts";
import {
  encodeStreamEvent,
  ensureStream,
  logSubject,
  ORIGIN_HEADER,
  readStream,
  within,
  type StreamEvent,
} from "./jetstream-stream.ts";
import type { NatsLink } from "./nats-link.ts";
import { ReplicaPositionRecorder } from "./replica-position.ts";
import { StreamFollower } from "./stream-follower.ts";

export interface JetStreamEventLogOptions {
  readonly link: NatsLink;
  readonly stream: string;
  readonly replicas: number;
  /** SQLite file of this gateway's index (in DATA_DIR). */
  readonly indexPath: string;
  /** Aggregates to maintain from the consumed stream (the registry's `toWire().aggregates`). */
  readonly aggregates?: readonly WireAggregate[];
  readonly logger: Logger;
  /** Called with this gateway's own committed events, in order (core NATS publish). */
  readonly onOwnCommit?: (events: readonly SequencedEvent[]) => void;
  readonly now?: () => number;
  /** How long an append waits for JetStream's ack, then for its own consumer (default 5000). */
  readonly timeoutMs?: number;
  /** Recent events kept in memory for catch-up and the server replica (default 20000). */
  readonly cacheSize?: number;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
}

interface InFlight {
  readonly reject: (error: SyncError) => void;
}

const unavailable = (message: string, cause?: unknown): SyncError =>
  new SyncError(ErrorCode.LOG_UNAVAILABLE, message, cause === undefined ? undefined : { cause });

/**
 * @example
 * const log = await JetStreamEventLog.open({ link, stream: "KUZU_SYNC_EVENTS", replicas: 3, indexPath, logger });
 * const [{ seq }] = await log.append([event]); // acked by JetStream, consumed by this gateway
 */
export class JetStreamEventLog implements EventLog {
  readonly #link: NatsLink;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #subject: string;
  readonly #index: JetStreamIndex;
  readonly #logger: Logger;
  readonly #origin: string;
  readonly #onOwnCommit: ((events: readonly SequencedEvent[]) => void) | undefined;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #cacheSize: number;
  readonly #listeners = new Set<CommitListener>();
  /** Consecutive recent events, ascending; `#cache[0].seq` is the first held. */
  #cache: SequencedEvent[] = [];
  /** Messages received from the consumer and not yet recorded and delivered. */
  #buffer: StreamEvent[] = [];
  #flushScheduled = false;
  #head: number;
  #horizon: number;
  #streamFirst = 0;
  #streamLast = 0;
  #streamBytes = 0;
  readonly #waiters = new Map<number, Waiter[]>();
  readonly #inFlight = new Set<InFlight>();
  readonly #follower: StreamFollower;
  #horizonTimer: ReturnType<typeof setInterval> | null = null;
  #horizonSub: Subscription | null = null;
  readonly #positions: ReplicaPositionRecorder;
  #unlink: () => void;
  #closed = false;

  private constructor(options: JetStreamEventLogOptions, nc: NatsConnection, jsm: JetStreamManager, index: JetStreamIndex) {
    this.#link = options.link;
    this.#js = nc.jetstream();
    this.#jsm = jsm;
    this.#stream = options.stream;
    this.#subject = logSubject(options.stream);
    this.#index = index;
    this.#logger = options.logger.child({ component: "jetstream-log", stream: options.stream });
    this.#onOwnCommit = options.onOwnCommit;
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#cacheSize = options.cacheSize ?? 20_000;
    this.#head = index.head;
    this.#horizon = index.head + 1;
    this.#origin = index.origin();
    this.#positions = new ReplicaPositionRecorder({ link: options.link, stream: options.stream, gatewayId: this.#origin, replicas: options.replicas, logger: this.#logger });
    this.#follower = new StreamFollower({
      link: options.link,
      js: this.#js,
      jsm,
      stream: options.stream,
      logger: this.#logger,
      head: () => this.#head,
      streamFirst: () => this.#streamFirst,
      onMessage: (event) => this.#receive(event),
      // Received but not yet recorded: the next consumer brings them again.
      onReset: () => void (this.#buffer = []),
      setupMs: Math.min(this.#timeoutMs, 2_000),
    });
    // When the connection drops, nothing in flight can complete soon: answer now (retryable)
    // rather than let clients wait for a timeout. What JetStream did store is found on resend.
    this.#unlink = this.#link.onChange((connected) => {
      if (!connected) this.#failInFlight(unavailable("NATS connection lost; resend"));
      // The consumer may have lived on the server that went away: start a fresh one from the head.
      else this.#follower.restart("NATS connection back");
    });
  }

  /**
   * Wait for NATS, create or update the stream, check it against the local index and start
   * consuming. Retries stream set-up while JetStream is not ready (e.g. no cluster leader yet).
   */
  static async open(options: JetStreamEventLogOptions): Promise<JetStreamEventLog> {
    const logger = options.logger.child({ component: "jetstream-log", stream: options.stream });
    if (!options.link.connected) logger.info("waiting for NATS");
    const nc = await options.link.connection;
    const jsm = await nc.jetstreamManager();
    let info;
    for (let attempt = 0; ; attempt++) {
      try {
        info = await ensureStream(jsm, { name: options.stream, replicas: options.replicas });
        break;
      } catch (error) {
        if (/replicas > 1 not supported|insufficient resources/i.test(String(error)) || attempt >= 120) {
          throw new SyncError(ErrorCode.LOG_UNAVAILABLE, `cannot set up stream ${options.stream} with ${options.replicas} replica(s): ${String(error)}`, { cause: error });
        }
        if (attempt % 10 === 0) logger.warn("stream set-up failed; retrying", { error: String(error) });
        await Bun.sleep(500);
      }
    }
    const index = JetStreamIndex.open(options.indexPath, { aggregates: options.aggregates ?? [], logger });
    if (info.state.last_seq < index.head) {
      index.close();
      throw new SyncError(
        ErrorCode.INTERNAL,
        `stream ${options.stream} ends at seq ${info.state.last_seq} but this gateway's index (${options.indexPath}) is at seq ${index.head}: ` +
          "the stream was recreated or this is another NATS. Remove the index file (and the server replica) to rebuild from the stream.",
      );
    }
    const log = new JetStreamEventLog(options, nc, jsm, index);
    log.#setStreamState(info.state);
    log.#follower.start();
    log.#horizonTimer = setInterval(() => void log.#refreshHorizon(), 10_000);
    log.#horizonTimer.unref?.();
    // sync-archiver announces each purge; the timer above covers a missed announcement.
    log.#horizonSub = nc.subscribe(horizonSubject(options.stream), { callback: () => void log.#refreshHorizon() });
    logger.info("following stream", { head: index.head, streamLastSeq: info.state.last_seq, replicas: info.config.num_replicas });
    return log;
  }

  get headSeq(): number {
    return this.#head;
  }

  get horizonSeq(): number {
    return this.#horizon;
  }

  /** This gateway's id in the stream's origin header (kept in the index across restarts). */
  get originId(): string {
    return this.#origin;
  }

  templateCounts(): Record<string, number> {
    return this.#index.templateCounts();
  }

  clientCounts(): Record<string, number> {
    return this.#index.clientCounts();
  }

  /** Aggregates over the consumed stream, exact as of {@link headSeq}. */
  get aggregates(): AggregateReader {
    return this.#index.aggregates;
  }

  /** First seq the counts and aggregates include (1 unless the index fell behind a purge). */
  get countsFromSeq(): number {
    return this.#index.countsFromSeq;
  }

  /** The stream's last seq and size in bytes, as of the last stream info (every 10 s). */
  get streamState(): { readonly lastSeq: number; readonly bytes: number } {
    return { lastSeq: this.#streamLast, bytes: this.#streamBytes };
  }

  /** The archiver's purge limit: recorded in KV per gateway (see `replica-position.ts`). */
  recordReplicaSeq(seq: number): void {
    this.#positions.record(seq);
  }

  /** A consistent copy of this gateway's index (for `GET /index-snapshot`); see {@link JetStreamIndex.exportTo}. */
  exportIndex(path: string): { readonly head: number } {
    return this.#index.exportTo(path);
  }

  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  append(events: readonly ClientEvent[]): Promise<AppendOutcome[]> {
    return Promise.all(events.map((e) => this.#appendOne(e)));
  }

  async read(afterSeq: number, limit: number): Promise<SequencedEvent[]> {
    const head = this.#head;
    if (afterSeq >= head || limit <= 0) return [];
    const first = this.#cache[0];
    if (first !== undefined && afterSeq + 1 >= first.seq) {
      const start = afterSeq + 1 - first.seq;
      return this.#cache.slice(start, start + Math.min(limit, head - afterSeq));
    }
    if (!this.#link.connected) throw unavailable("NATS is unreachable; catch-up from the stream is not possible now");
    const page = await readStream(this.#js, this.#jsm, this.#stream, afterSeq, head, limit, this.#timeoutMs);
    // Archived since the horizon was last read: the caller sees the gap; later welcomes see it too.
    const firstHeld = page[0]!.event.seq;
    if (firstHeld > afterSeq + 1 && firstHeld > this.#horizon) {
      this.#horizon = firstHeld;
      this.#streamFirst = firstHeld;
    }
    return page.map(({ event }) => this.#mark(event, this.#index.firstSeq(event.id)));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unlink();
    if (this.#horizonTimer) clearInterval(this.#horizonTimer);
    this.#horizonSub?.unsubscribe();
    this.#failInFlight(unavailable("event log is closed"));
    await this.#positions.close();
    await this.#follower.stop();
    this.#flush();
    this.#index.close();
  }

  async #appendOne(event: ClientEvent): Promise<AppendOutcome> {
    if (this.#closed) throw unavailable("event log is closed");
    const known = this.#index.firstSeq(event.id);
    if (known !== null) return { seq: known, duplicate: true };
    if (!this.#link.connected) throw unavailable("NATS is unreachable; resend later");
    let inFlight!: InFlight;
    const aborted = new Promise<never>((_, reject) => (inFlight = { reject }));
    this.#inFlight.add(inFlight);
    try {
      const h = headers();
      h.set(ORIGIN_HEADER, this.#origin);
      let ack;
      try {
        ack = await Promise.race([
          within(
            this.#js.publish(this.#subject, encodeStreamEvent(event, this.#now()), {
              msgID: event.id,
              headers: h,
              timeout: this.#timeoutMs,
              // 503 = no stream leader right now (an election after a node loss): ask again here
              // for a couple of seconds rather than send every client into a resend loop.
              retries: 8,
              retry_delay: 250,
            } as Partial<JetStreamPublishOptions>),
            this.#timeoutMs + 2_000,
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
      await Promise.race([this.#delivered(ack.seq), aborted]);
      const first = this.#index.firstSeq(event.id);
      if (first === null) throw new SyncError(ErrorCode.INTERNAL, `stream seq ${ack.seq} for event ${event.id} was consumed but not indexed`);
      return { seq: first, duplicate: ack.duplicate || first !== ack.seq };
    } finally {
      this.#inFlight.delete(inFlight);
    }
  }

  /** Resolves once this gateway's consumer has delivered `seq`; rejects after the timeout. */
  #delivered(seq: number): Promise<void> {
    if (seq <= this.#head) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.#waiters.get(seq);
        const i = list?.indexOf(waiter) ?? -1;
        if (list && i >= 0) list.splice(i, 1);
        // JetStream stored it but our consumer did not bring it: the consumer is stuck.
        if (this.#head < seq) this.#follower.restart(`seq ${seq} not consumed within ${this.#timeoutMs} ms`);
        reject(unavailable(`stored at seq ${seq} but not consumed by this gateway within ${this.#timeoutMs} ms; resend`));
      }, this.#timeoutMs);
      const waiter: Waiter = { seq, resolve: () => (clearTimeout(timer), resolve()) };
      const list = this.#waiters.get(seq);
      if (list) list.push(waiter);
      else this.#waiters.set(seq, [waiter]);
    });
  }

  #failInFlight(error: SyncError): void {
    for (const f of this.#inFlight) f.reject(error);
    this.#inFlight.clear();
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
      firsts = this.#index.record(batch.map(({ event }) => event));
    } catch (error) {
      this.#logger.error("cannot record consumed events in the index; consuming again from the head", { error: String(error), head: this.#head });
      this.#follower.restart("index write failed");
      return;
    }
    const committed = batch.map(({ event }, i) => this.#mark(event, firsts[i]!));
    const previous = this.#head;
    this.#head = committed[committed.length - 1]!.seq;
    if (this.#horizon > this.#head) this.#horizon = committed[0]!.seq;
    this.#remember(committed);
    // Listeners run in the same synchronous block that moved the head: catch-up relies on it.
    for (const listener of this.#listeners) {
      try {
        listener(committed);
      } catch (error) {
        this.#logger.error("commit listener threw", { error: String(error) });
      }
    }
    for (let seq = previous + 1; seq <= this.#head; seq++) {
      const list = this.#waiters.get(seq);
      if (!list) continue;
      this.#waiters.delete(seq);
      for (const w of list) w.resolve();
    }
    if (this.#onOwnCommit) {
      const own = committed.filter((e, i) => batch[i]!.origin === this.#origin && e.duplicateOf === undefined);
      if (own.length > 0) this.#onOwnCommit(own);
    }
  }

  #mark(event: SequencedEvent, firstSeq: number | null): SequencedEvent {
    return firstSeq !== null && firstSeq < event.seq ? { ...event, duplicateOf: firstSeq } : event;
  }

  #remember(events: readonly SequencedEvent[]): void {
    const last = this.#cache[this.#cache.length - 1];
    if (last !== undefined && events[0]!.seq !== last.seq + 1) this.#cache = [];
    for (const e of events) this.#cache.push(e);
    if (this.#cache.length > this.#cacheSize * 1.5) this.#cache = this.#cache.slice(this.#cache.length - this.#cacheSize);
  }

  #setStreamState(state: { readonly first_seq: number; readonly last_seq: number; readonly messages: number; readonly bytes: number }): void {
    this.#streamFirst = state.first_seq;
    this.#streamLast = state.last_seq;
    this.#streamBytes = state.bytes;
    // A fully purged stream has first seq = last seq + 1, past the head of a gateway that lags.
    this.#horizon = state.messages === 0 ? Math.max(this.#head + 1, state.first_seq) : state.first_seq;
  }

  async #refreshHorizon(): Promise<void> {
    if (!this.#link.connected || this.#closed) return;
    try {
      const info = await this.#jsm.streams.info(this.#stream);
      this.#setStreamState(info.state);
    } catch (error) {
      this.#logger.debug("stream info failed", { error: String(error) });
    }
  }
}
