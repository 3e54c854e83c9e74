/**
 * The JetStream event log: a stream shared by any number of gateways is the log; the stream
 * sequence is the event `seq`. Each gateway consumes the whole stream in order to feed its sockets
 * and its server replica, and keeps a local index (id → first seq, per-template and per-client
 * counts, aggregates, consumed head) built from what it consumed, so every gateway answers
 * `/stats` and `/aggregates` the same way at the same head.
 *
 * Three parts, wired here: the appender (`jetstream-appender.ts`: publish, wait for the ack and
 * for the consumer), the projector (`jetstream-projector.ts`: consumer → index → commit listeners)
 * and the horizon watcher (`jetstream-horizon.ts`: the stream's first seq).
 *
 * `headSeq` is the last seq this gateway's consumer has delivered to its commit listeners — not
 * the stream's last seq — and it moves in the same synchronous step in which the listeners run,
 * which is what the gateway's gap-free switch from catch-up to live relies on.
 * @module
 */
import type { JetStreamClient, JetStreamManager, NatsConnection } from "nats";
import { ErrorCode, REGISTRY_TEMPLATE, SyncError, type ClientEvent, type SequencedEvent, type WireAggregate } from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";
import type { AggregateReader } from "./aggregate-store.ts";
import { markDuplicate } from "./commit.ts";
import { CommitFeed } from "./commit-feed.ts";
import type { RegistryHistory } from "./registry-history.ts";
import type { AppendOutcome, CommitListener, EventLog } from "./event-log.ts";
import { JetStreamAppender } from "./jetstream-appender.ts";
import { HorizonWatcher } from "./jetstream-horizon.ts";
import { JetStreamIndex } from "./jetstream-index.ts";
import { JetStreamProjector } from "./jetstream-projector.ts";
import { JetStreamPublisher } from "./jetstream-publisher.ts";
import { ensureStream, logSubject, readStream, within } from "./jetstream-stream.ts";
import { Turn } from "./turn.ts";
import type { NatsLink } from "./nats-link.ts";
import { archiveKv } from "./jetstream-coordination.ts";
import { RegistryMirror, readMirroredVersions } from "./registry-mirror.ts";
import { ReplicaPositionRecorder } from "./replica-position.ts";
import type { QuarantineList } from "./quarantine.ts";
import { QuarantineFollower } from "./quarantine-kv.ts";

export interface JetStreamEventLogOptions {
  readonly link: NatsLink;
  readonly stream: string;
  readonly replicas: number;
  /** SQLite file of this gateway's index (in DATA_DIR). */
  readonly indexPath: string;
  /** Aggregates to maintain from the consumed stream (the registry's `toWire().aggregates`). */
  readonly aggregates?: readonly WireAggregate[];
  readonly logger: Logger;
  readonly now?: () => number;
  /** How long an append waits for JetStream's ack, then (when it must) for its own consumer (default 5000). */
  readonly timeoutMs?: number;
  /**
   * How recent this gateway's consumer's last caught-up point must be for an append to be
   * answered from JetStream's PubAck (default a quarter of the duplicate window, see
   * `jetstream-appender.ts`); 0: every append waits until this gateway consumed it.
   */
  readonly freshForMs?: number;
  /** Recent events kept in memory for catch-up and the server replica (default 20000). */
  readonly cacheSize?: number;
}

/**
 * @example
 * const log = await JetStreamEventLog.open({ link, stream: "KUZU_SYNC_EVENTS", replicas: 3, indexPath, logger });
 * const [{ seq }] = await log.append([event]); // acked by JetStream, consumed by this gateway
 */
export class JetStreamEventLog implements EventLog {
  readonly #link: NatsLink;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #mirror: RegistryMirror;
  readonly #stream: string;
  readonly #index: JetStreamIndex;
  readonly #origin: string;
  readonly #timeoutMs: number;
  readonly #feed: CommitFeed;
  readonly #horizon: HorizonWatcher;
  readonly #projector: JetStreamProjector;
  readonly #appender: JetStreamAppender;
  readonly #publisher: JetStreamPublisher;
  readonly #positions: ReplicaPositionRecorder;
  readonly #unlink: () => void;
  /** Highest seq an append was answered with: reads that must see it wait for the consumer. */
  #answeredUpTo = 0;
  /** Copies `sync-server quarantine`'s KV entries into the index (set in open). */
  #quarantines: QuarantineFollower | null = null;
  #closed = false;

  private constructor(options: JetStreamEventLogOptions, nc: NatsConnection, jsm: JetStreamManager, index: JetStreamIndex, logger: Logger) {
    const { link, stream } = options;
    this.#link = link;
    this.#js = nc.jetstream();
    this.#jsm = jsm;
    this.#stream = stream;
    this.#index = index;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#origin = index.origin();
    this.#feed = new CommitFeed(logger, options.cacheSize, (events) => index.quarantine.mark(events));
    // The projector's and the appender's flushes share one turn (and one write to NATS).
    const turn = new Turn([() => this.#projector.flush(), () => this.#appender.flush()], (error) =>
      logger.error("JetStream log flush failed", { error: String(error) }),
    );
    // Registry versions are mirrored to KV as they are consumed (registry-mirror.ts).
    this.#feed.subscribe(({ effective }) => {
      if (effective.some((e) => e.template === REGISTRY_TEMPLATE)) this.#mirror.sync();
    });
    this.#horizon = new HorizonWatcher({ link, jsm, stream, logger, head: () => this.#projector.head });
    this.#projector = new JetStreamProjector({
      link,
      js: this.#js,
      jsm,
      stream,
      logger,
      index,
      feed: this.#feed,
      horizon: this.#horizon,
      origin: this.#origin,
      timeoutMs: this.#timeoutMs,
      requestFlush: () => turn.request(),
    });
    this.#publisher = new JetStreamPublisher({ nc, subject: logSubject(stream), origin: this.#origin, timeoutMs: this.#timeoutMs });
    this.#appender = new JetStreamAppender({
      link,
      index,
      projector: this.#projector,
      publisher: () => this.#publisher,
      now: options.now ?? Date.now,
      requestFlush: () => turn.request(),
      ...(options.freshForMs === undefined ? {} : { freshForMs: options.freshForMs }),
    });
    this.#positions = new ReplicaPositionRecorder({ link, stream, gatewayId: this.#origin, replicas: options.replicas, logger });
    this.#mirror = new RegistryMirror({ link, stream, replicas: options.replicas, logger, history: () => index.registry.entries() });
    // When the connection drops, nothing in flight can complete soon: answer now (retryable)
    // rather than let clients wait for a timeout. What JetStream did store is found on resend.
    this.#unlink = link.onChange((connected) => {
      if (!connected) this.#appender.failInFlight(new SyncError(ErrorCode.LOG_UNAVAILABLE, "NATS connection lost; resend"));
      // The consumer may have lived on the server that went away: start a fresh one from the head.
      else this.#projector.restart("NATS connection back");
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
    if (index.registry.entries().length === 0 && info.state.first_seq > 1) {
      // The stream's first events (its genesis among them) are purged and this index never saw
      // them: the registry versions come from the KV mirror the gateways keep (registry-mirror.ts).
      const seeded = index.registry.seed(await readMirroredVersions(await archiveKv(nc.jetstream(), options.replicas), options.stream));
      if (seeded > 0) logger.info("registry versions taken from the KV mirror", { versions: seeded, streamFirstSeq: info.state.first_seq });
    }
    // Before anything is served or applied: every quarantine recorded so far (quarantine-kv.ts).
    let quarantines: QuarantineFollower;
    try {
      quarantines = await QuarantineFollower.start(await archiveKv(nc.jetstream(), options.replicas), options.stream, index.quarantine, logger);
    } catch (error) {
      index.close();
      throw new SyncError(ErrorCode.LOG_UNAVAILABLE, `cannot read the quarantined events of stream ${options.stream}: ${String(error)}`, { cause: error });
    }
    const log = new JetStreamEventLog(options, nc, jsm, index, logger);
    log.#quarantines = quarantines;
    log.#horizon.update(info.state);
    log.#projector.start();
    log.#mirror.sync();
    // sync-archiver announces each purge; the watcher also polls in case it missed one.
    log.#horizon.start(nc);
    logger.info("following stream", { head: index.head, streamLastSeq: info.state.last_seq, replicas: info.config.num_replicas });
    return log;
  }

  get headSeq(): number {
    return this.#projector.head;
  }

  /**
   * Resolves once this gateway has consumed the stream up to its last seq as of now (what other
   * gateways appended while this one was down). Rejects with LOG_UNAVAILABLE when consumption
   * makes no progress for `stallMs`. Start-up waits for it before deciding on the registry.
   * @example await log.caughtUp(); log.registry.latest();
   */
  async caughtUp(stallMs = 30_000): Promise<void> {
    const info = await within(this.#jsm.streams.info(this.#stream), this.#timeoutMs, `reading stream ${this.#stream}`);
    const target = info.state.last_seq;
    let seen = this.headSeq;
    let since = Date.now();
    while (this.headSeq < target) {
      if (this.headSeq !== seen) [seen, since] = [this.headSeq, Date.now()];
      if (Date.now() - since > stallMs) {
        throw new SyncError(ErrorCode.LOG_UNAVAILABLE, `consumed stream ${this.#stream} up to seq ${this.headSeq} of ${target}, then nothing for ${stallMs} ms`);
      }
      await Bun.sleep(20);
    }
  }

  get horizonSeq(): number {
    return this.#horizon.seq;
  }

  /** This gateway's id in the stream's origin header (kept in the index across restarts). */
  get originId(): string {
    return this.#origin;
  }

  /** Events an operator took out of service (copied from the KV bucket). */
  get quarantine(): QuarantineList {
    return this.#index.quarantine;
  }

  /** The registry versions this gateway has consumed from the stream. */
  get registry(): RegistryHistory {
    return this.#index.registry;
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
    return this.#horizon.streamState;
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
    return this.#feed.subscribe(listener);
  }

  append(events: readonly ClientEvent[]): Promise<AppendOutcome[]> {
    return Promise.all(
      events.map((e) =>
        this.#appender.append(e).then((outcome) => {
          if (outcome.seq > this.#answeredUpTo) this.#answeredUpTo = outcome.seq;
          return outcome;
        }),
      ),
    );
  }

  /** Resolves once this gateway has consumed every seq it answered an append with. */
  readYourWrites(): Promise<void> {
    return this.#projector.delivered(this.#answeredUpTo).catch(() => {});
  }

  async read(afterSeq: number, limit: number): Promise<SequencedEvent[]> {
    const head = this.headSeq;
    if (afterSeq >= head || limit <= 0) return [];
    const recent = this.#feed.recent.after(afterSeq, Math.min(limit, head - afterSeq));
    if (recent !== null) return this.#index.quarantine.mark(recent);
    if (!this.#link.connected) throw new SyncError(ErrorCode.LOG_UNAVAILABLE, "NATS is unreachable; catch-up from the stream is not possible now");
    const page = await readStream(this.#js, this.#jsm, this.#stream, afterSeq, head, limit, this.#timeoutMs);
    // Archived since the horizon was last read: the caller sees the gap; later welcomes see it too.
    this.#horizon.readStartedAt(afterSeq, page[0]!.event.seq);
    return this.#index.quarantine.mark(page.map(({ event }) => markDuplicate(event, this.#index.firstSeq(event.id))));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unlink();
    this.#horizon.close();
    this.#appender.close();
    this.#publisher.close();
    await this.#quarantines?.stop();
    await this.#positions.close();
    await this.#mirror.settled();
    await this.#projector.stop();
    this.#index.close();
  }
}
