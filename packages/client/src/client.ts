/**
 * `createSyncClient()`: a local KuzuDB replica kept in sync with a kuzu-sync gateway.
 * @module
 */
import {
  ErrorCode,
  Limits,
  RAW_DML_TEMPLATE,
  REGISTRY_TEMPLATE,
  SyncError,
  checkReadOnlyCypher,
  isRetryable,
  type ClientEvent,
  type ServerMessage,
  type WelcomeMessage,
  type WireRegistry,
} from "@kuzu-sync/protocol";
import { DmlStats, createLogger, type DmlStatsSnapshot, type Logger, type TemplateStats } from "@kuzu-sync/telemetry";
import { AggregateRequests } from "./aggregate-requests.ts";
import { AppliedReports } from "./applied-reports.ts";
import { backoffDelay } from "./backoff.ts";
import type { SyncClientEvents, SyncClientOptions } from "./client-options.ts";
import { ConnectWaiters } from "./connect-waiters.ts";
import { Connection } from "./connection.ts";
import { Emitter } from "./emitter.ts";
import { eventFrames, type FrameLimits } from "./event-frames.ts";
import { liveIterator } from "./live-iterator.ts";
import { LiveQueries, type LiveOptions, type LiveSubscription, type Rows } from "./live-queries.ts";
import { LocalWrites, type PendingWrite } from "./local-writes.ts";
import { memoryOptimisticStore, openOptimisticStore } from "./optimistic-store.ts";
import { openClientOutbox } from "./outbox.ts";
import { PendingWrites } from "./pending-writes.ts";
import { SeqWaiters } from "./seq-waiters.ts";
import { startStatsReports } from "./stats-reports.ts";
import { registryProblem } from "./registry-compat.ts";
import { ReplicaFeed } from "./replica-feed.ts";
import { SNAPSHOTS_SUPPORTED } from "#snapshot-bootstrap";
import { clientIdRefusal, eventRefusal } from "./write-checks.ts";
import type { VerifyResult } from "./replica-verify.ts";
import { registryMismatch, replicaAhead } from "./stop-reasons.ts";

/**
 * @example
 * const client = createSyncClient("ws://localhost:8080", { dbPath: "./replica.kuzu" });
 * await client.connect();
 * const { seq } = await client.executeTemplate("CREATE_USER", { id: "u1", name: "Alice" });
 * await client.waitForSeq(seq);
 * const names = await client.query("MATCH (u:User) RETURN u.name AS name");
 * await client.close();
 */
export function createSyncClient(url: string, options: SyncClientOptions = {}): SyncClient {
  return new SyncClient(url, options);
}

export class SyncClient {
  readonly url: string;
  readonly #options: SyncClientOptions;
  readonly #log: Logger;
  readonly #emitter = new Emitter<SyncClientEvents>();
  readonly #clientId: string;
  readonly #stats: DmlStats;
  /** The outbox and the answers awaited for it. Opened at creation, so `pendingCount` is right before `connect()`. */
  readonly #writes: PendingWrites;
  /** Why the persistent outbox could not be opened at creation; `connect()` rejects with it. */
  readonly #outboxError: unknown;
  /** The replica and the ordered work on it (replica-feed.ts). */
  readonly #feed: ReplicaFeed;
  /** The socket and its state machine (connection-state.ts). */
  readonly #connection: Connection;
  /** `url` without its query string (which may carry `?token=`), for messages. */
  readonly #safeUrl: string;
  #registry: WireRegistry | null = null;
  /** The last welcome (its registry history judges a snapshot). */
  #welcome: WelcomeMessage | null = null;
  #stopStats = (): void => {};
  readonly #seqWaiters = new SeqWaiters(() => this.lastAppliedSeq);
  readonly #aggregates = new AggregateRequests();
  readonly #connectWaiters = new ConnectWaiters();
  /** `applied {seq}` to the gateway, for its dashboard: how far this replica is. */
  readonly #appliedReports = new AppliedReports((seq) => {
    if (this.#connection.liveSocket === null) return false;
    this.#connection.send({ type: "applied", seq });
    return true;
  }, () => this.lastAppliedSeq);
  #opening: Promise<void> | null = null;
  #closing: Promise<void> | null = null;
  readonly #abort = new AbortController();
  /** How the gateway of the current connection takes events (from its welcome). */
  #frames: FrameLimits = { maxEvents: 1, maxBytes: 1 << 20 };
  /** Live queries (live-queries.ts), evaluated through what `query()` reads. */
  readonly #live = new LiveQueries({
    read: (cypher, params) => this.query(cypher, params),
    readsOf: (cypher, params) => this.#feed.replica?.readsOf(cypher, params),
    report: (error) => this.#fail(error),
    behind: () => this.#feed.eventsQueued,
  });
  /** This client's writes until confirmed, and the optimistic overlay (local-writes.ts). */
  readonly #local: LocalWrites;
  constructor(url: string, options: SyncClientOptions) {
    this.url = url;
    this.#options = { ...options };
    this.#log = options.logger ?? createLogger({ serviceName: "sync-client", level: "warn" });
    this.#safeUrl = safeUrl(url);
    const context = { url: this.#safeUrl, autoReconnect: options.autoReconnect !== false, useSnapshots: options.useSnapshots !== false && SNAPSHOTS_SUPPORTED };
    this.#connection = new Connection(
      { url, context, token: options.token, getToken: options.getToken, backoff: options.backoff },
      {
        hello: () => ({
          type: "hello",
          clientId: this.#clientId,
          lastSeq: this.lastAppliedSeq,
          ...(this.#feed.replica?.registryHash ? { registryHash: this.#feed.replica.registryHash } : {}),
          ...(this.#feed.replica?.registryVersion ? { registryVersion: this.#feed.replica.registryVersion } : {}),
        }),
        message: (msg, socket) => this.#onMessage(msg, socket),
        handshake: (welcome) => this.#handshake(welcome),
        bootstrap: (offer, token) => this.#feed.bootstrap(offer, token, this.#welcome!),
        disconnected: (code, reason) => {
          this.#aggregates.failAll(new SyncError(ErrorCode.CLOSED, "connection closed before the aggregate answer arrived"));
          this.#emit("disconnected", { code, reason });
        },
        report: (error) => this.#fail(error),
        giveUp: (error) => this.#connectWaiters.rejectAll(error),
      },
    );
    const { outbox, clientId, error } = openClientOutbox(options.dbPath, options.clientId);
    // Durable events go out at once when connected; otherwise the next handshake resends them.
    this.#writes = new PendingWrites(outbox, (events) => this.#sendEvents(events));
    this.#outboxError = error;
    this.#clientId = clientId;
    this.#stats = new DmlStats(clientId);
    this.#feed = new ReplicaFeed({
      clientId,
      url,
      safeUrl: this.#safeUrl,
      dbPath: options.dbPath ?? null,
      log: this.#log,
      signal: this.#abort.signal,
      connection: this.#connection,
      stats: this.#stats,
      seqWaiters: this.#seqWaiters,
      appliedReports: this.#appliedReports,
      local: () => this.#local,
      live: () => this.#live,
      token: () => {
        const state = this.#connection.state;
        return state.kind === "connected" ? state.token : this.#options.token;
      },
      closed: () => this.#closed,
      emit: (name, value) => this.#emit(name, value),
      listens: (name) => this.#emitter.has(name),
      fail: (error) => this.#fail(error),
    });
    this.#local = new LocalWrites(
      {
        clientId,
        replica: () => this.#feed.replica,
        inStep: (task) => this.#feed.enqueue(task),
        changed: (change) => this.#live.invalidate(change),
        pending: (write) => this.#emit("pending", write),
        confirmed: (write) => this.#emit("confirmed", write),
        rejected: (write) => this.#emit("rejected", write),
        logger: this.#log,
      },
      error === null ? openOptimisticStore(options.dbPath) : memoryOptimisticStore(),
    );
  }

  get clientId(): string {
    return this.#clientId;
  }

  /** Highest seq applied by the local replica. */
  get lastAppliedSeq(): number {
    return this.#feed.replica?.appliedSeq ?? 0;
  }

  /** Whether the socket is open and the handshake is done. */
  get connected(): boolean {
    return this.#connection.liveSocket !== null;
  }

  /**
   * This client's writes not yet confirmed by the stream, oldest first: sent and waiting for the
   * server, or acknowledged and not yet applied here (`seq` set). `optimistic` ones show in
   * `query()` and live queries already. A persistent client lists an earlier run's too.
   * @example client.on("pending", () => render(client.pending));
   */
  get pending(): readonly PendingWrite[] {
    return this.#local.list;
  }

  /** Events handed to the client and not yet acknowledged, including a persistent outbox's from earlier runs. */
  get pendingCount(): number {
    return this.#writes.size;
  }

  /**
   * Resolves once every event in the outbox has been acknowledged or rejected, including events a
   * persistent client resends from an earlier run, whose promises are gone. Call it after
   * `connect()`. Rejects with `CLOSED` if the client is closed first; a durable outbox keeps them.
   * @example
   * await client.connect();
   * await client.flush(); // what an earlier run queued offline has landed (or was refused)
   */
  flush(): Promise<void> {
    if (this.pendingCount === 0) return Promise.resolve();
    if (this.#closed) return Promise.reject(new SyncError(ErrorCode.CLOSED, "client is closed"));
    return this.#writes.flush();
  }

  /** The registry received from the server (null before the first handshake). */
  get registry(): WireRegistry | null {
    return this.#registry;
  }

  on<K extends keyof SyncClientEvents>(name: K, listener: (value: SyncClientEvents[K]) => void): () => void {
    return this.#emitter.on(name, listener);
  }

  off<K extends keyof SyncClientEvents>(name: K, listener: (value: SyncClientEvents[K]) => void): void {
    this.#emitter.off(name, listener);
  }

  /** Open the replica, connect, and resolve once caught up to the head the server had at connect. */
  async connect(): Promise<void> {
    if (this.#closed) throw new SyncError(ErrorCode.CLOSED, "client is closed");
    const badClientId = clientIdRefusal(this.#clientId);
    if (badClientId) throw badClientId;
    await (this.#opening ??= this.#open());
    if (this.#closed) throw new SyncError(ErrorCode.CLOSED, "client is closed");
    if (this.connected && this.#connectWaiters.size === 0) return;
    const timeoutMs = this.#options.connectTimeoutMs ?? 30_000;
    const live = this.#connectWaiters.wait(timeoutMs, () => new SyncError(ErrorCode.TIMEOUT, `could not sync with ${this.#safeUrl} within ${timeoutMs} ms`));
    this.#connection.dispatch({ type: "connect" });
    await live;
  }

  /**
   * Send a template event. Resolves with its seq once the server has made it durable; rejects
   * with a SyncError carrying the server's code. Survives reconnects (the outbox resends it).
   * `options.id` sets the idempotency key (default: a random UUID); sending the same id again,
   * even much later, returns the original seq with `duplicate: true`.
   *
   * `options.optimistic` (default: the client's `optimistic` option): until the event comes back
   * applied from the stream, `query()` and live queries see it applied on top of the replica,
   * after this client's earlier pending events. If the server refuses it, or it fails when
   * applied, its effect disappears and the client emits `rejected`.
   * @example
   * client.executeTemplate("CREATE_USER", { id: "u1", name: "Ann" }, { optimistic: true }).catch(() => {}); // shows at once
   */
  executeTemplate(
    template: string,
    params: Record<string, unknown>,
    options: { readonly traceparent?: string; readonly id?: string; readonly optimistic?: boolean } = {},
  ): Promise<{ seq: number; duplicate: boolean }> {
    if (this.#closed) return Promise.reject(new SyncError(ErrorCode.CLOSED, "client is closed"));
    if (this.#opening === null) return Promise.reject(new SyncError(ErrorCode.NOT_READY, "call connect() first"));
    if (this.#outboxError !== null) return Promise.reject(this.#outboxError);
    const writes = this.#writes;
    if (options.id !== undefined && writes.inFlight(options.id)) {
      return Promise.reject(new SyncError(ErrorCode.BAD_MESSAGE, `event ${options.id} is already in flight`));
    }
    const event: ClientEvent = {
      id: options.id ?? crypto.randomUUID(),
      template,
      params,
      clientId: this.#clientId,
      timestamp: Date.now(),
      ...(options.traceparent === undefined ? {} : { traceparent: options.traceparent }),
    };
    const refused = eventRefusal(event);
    if (refused) return Promise.reject(refused);
    // In the outbox at the end of this turn (one transaction for every event of the turn), then sent.
    const acked = writes.track(event);
    this.#local.track(event, options.optimistic ?? this.#options.optimistic ?? false);
    this.#stats.record(template, "sent");
    return acked;
  }

  /**
   * Raw Cypher write, sent as an event of the reserved `RAW_DML` template through the outbox like
   * any template. The server rejects it with RAW_DML_DISABLED unless started with raw DML
   * allowed, and with RAW_DML_FORBIDDEN unless it is one statement of MATCH/OPTIONAL MATCH/WHERE/
   * WITH/UNWIND/CREATE/MERGE/SET/DELETE/DETACH DELETE/REMOVE/RETURN. Counted under `RAW_DML`.
   * @example const { seq } = await client.sendDML("MATCH (u:User {id: 'u1'}) SET u.name = 'Ann'");
   */
  sendDML(cypher: string, options: { readonly traceparent?: string; readonly id?: string } = {}): Promise<{ seq: number; duplicate: boolean }> {
    return this.executeTemplate(RAW_DML_TEMPLATE, { cypher }, options);
  }

  /**
   * Read an aggregate the server maintains (declared in its registry): every group's value, or one
   * group's value (null when no event has given that group a value). Answered from the gateway's
   * memory in constant time, exact as of the log head at that moment; rejects with NOT_FOUND for
   * an unknown aggregate, NOT_READY when not connected, CLOSED when the connection drops first.
   * @example
   * await client.getAggregate("counters", "c1"); // 42
   * await client.getAggregate("postsByAuthor"); // { u1: 3, u2: 1 }
   */
  getAggregate(name: string): Promise<Record<string, number>>;
  getAggregate(name: string, key: string): Promise<number | null>;
  async getAggregate(name: string, key?: string): Promise<Record<string, number> | number | null> {
    if (this.#closed) throw new SyncError(ErrorCode.CLOSED, "client is closed");
    const ws = this.#connection.liveSocket;
    if (ws === null) throw new SyncError(ErrorCode.NOT_READY, "not connected");
    const result = await this.#aggregates.send(ws, name, key);
    return key === undefined ? (result.values ?? {}) : (result.value ?? null);
  }

  /** Resolves once the local replica has applied `seq`. */
  waitForSeq(seq: number, timeoutMs = 30_000): Promise<void> {
    return this.#seqWaiters.wait(seq, timeoutMs);
  }

  /**
   * Compare the local replica with the gateway's server replica: both graph digests at the same seq
   * (the client holds its apply at the seq the gateway digested; docs/PROTOCOL.md §11). On a
   * mismatch it emits `divergence` and an `error` REPLICA_DIVERGED, and with `repair` rebuilds the
   * replica from the gateway's snapshot (its outbox is kept). Call it when connected.
   * @example
   * const { match, seq } = await client.verify();
   * if (!match) await client.verify({ repair: true });
   */
  async verify(options: { readonly repair?: boolean; readonly timeoutMs?: number } = {}): Promise<VerifyResult> {
    if (this.#closed) throw new SyncError(ErrorCode.CLOSED, "client is closed");
    if (!this.connected) throw new SyncError(ErrorCode.NOT_READY, "not connected: call connect() first");
    return this.#feed.verify(options.timeoutMs ?? 60_000, options.repair === true);
  }

  /**
   * Read from the local replica; rows as plain objects. While optimistic events are pending, their
   * effects are included (applied on top of the replica, in the order they were written).
   */
  query(cypher: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    const replica = this.#feed.replica;
    if (!replica) return Promise.reject(new SyncError(ErrorCode.NOT_READY, "call connect() first"));
    return this.#local.query(replica, cypher, params);
  }

  /**
   * A live query: `onRows` gets the rows of `cypher` (read as `query()` reads them) once, then
   * again each time they change. It is evaluated again only after an applied or optimistic event
   * that can change its rows (one that writes an entity or a table it reads), never on a timer.
   * Read-only like `query()` (FORBIDDEN otherwise). Registered before `connect()`, it first runs
   * once the replica is open.
   * @example
   * const sub = client.live("MATCH (t:Task) RETURN t.id AS id, t.title AS title ORDER BY id", (rows) => render(rows));
   * sub.unsubscribe();
   */
  live(cypher: string, onRows: (rows: Rows) => void, options?: LiveOptions): LiveSubscription;
  live(cypher: string, params: Record<string, unknown> | undefined, onRows: (rows: Rows) => void, options?: LiveOptions): LiveSubscription;
  live(
    cypher: string,
    a: Record<string, unknown> | undefined | ((rows: Rows) => void),
    b?: ((rows: Rows) => void) | LiveOptions,
    c?: LiveOptions,
  ): LiveSubscription {
    const [params, onRows, options] = typeof a === "function" ? [{}, a, b as LiveOptions | undefined] : [a ?? {}, b as (rows: Rows) => void, c];
    this.#checkLive(cypher);
    return this.#live.add(cypher, params, onRows, options?.onError);
  }

  /**
   * A live query as an async iterator: its rows first, then each result whose rows differ (a
   * slow consumer gets the latest). Ends when the client closes or the loop is left; throws when
   * an evaluation fails.
   * @example for await (const rows of client.liveQuery("MATCH (u:User) RETURN count(*) AS n")) render(rows[0]);
   */
  liveQuery(cypher: string, params?: Record<string, unknown>): AsyncIterableIterator<Rows> {
    this.#checkLive(cypher);
    return liveIterator((onRows, onError, onClose) => this.#live.add(cypher, params ?? {}, onRows, onError, onClose));
  }

  #checkLive(cypher: string): void {
    if (this.#closed) throw new SyncError(ErrorCode.CLOSED, "client is closed");
    const check = checkReadOnlyCypher(cypher);
    if (!check.ok) throw new SyncError(ErrorCode.FORBIDDEN, check.message);
  }

  getDMLStats(): DmlStatsSnapshot {
    return this.#stats.getDMLStats();
  }

  getDetailedStatsByTemplate(): Record<string, TemplateStats> {
    return this.#stats.getDetailedStatsByTemplate();
  }

  /** The statistics report as printed every `statsIntervalMs`. */
  formatStatsReport(): string {
    return this.#stats.formatReport();
  }

  /** Disconnect, finish applying what arrived, close the replica. Unacked events stay in a durable outbox. */
  close(): Promise<void> {
    // A second call (the client may close itself, e.g. REPLICA_AHEAD) waits for the first: the
    // replica file must be closed before anyone opens it again.
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    if (this.#closed) return;
    this.#connection.dispatch({ type: "close" });
    this.#stopStats();
    this.#appliedReports.stop();
    this.#live.close();
    this.#abort.abort(new SyncError(ErrorCode.CLOSED, "client closed"));
    const closed = new SyncError(ErrorCode.CLOSED, "client closed before this completed");
    this.#connectWaiters.rejectAll(closed);
    this.#writes.failAll(closed);
    this.#seqWaiters.failAll(closed);
    this.#aggregates.failAll(closed);
    this.#feed.cancel(closed);
    await this.#opening?.catch(() => {});
    await this.#feed.idle();
    await this.#local.close();
    await this.#feed.closeReplica();
    // What this turn handed over is written first: a durable outbox keeps it for the next run.
    this.#writes.close();
  }

  get #closed(): boolean {
    return this.#connection.state.kind === "closed";
  }

  async #open(): Promise<void> {
    if (this.#outboxError !== null) throw this.#outboxError;
    const replica = await this.#feed.open();
    this.#local.restore(this.#writes.outbox.pending(), replica.appliedSeq);
    if (this.#options.optimistic) this.#local.prepare();
    this.#live.start();
    if (!this.#closed) this.#stopStats = startStatsReports(this.#stats, this.#options, this.#log, this.#clientId);
  }

  #onMessage(msg: ServerMessage, socket: WebSocket): void {
    switch (msg.type) {
      case "welcome":
        return this.#onWelcome(socket, msg);
      case "events":
        // Registry events are not DML: they show up as `registry`, not in the statistics.
        for (const e of msg.events) if (e.duplicateOf === undefined && e.template !== REGISTRY_TEMPLATE) this.#stats.record(e.template, "received");
        return this.#feed.enqueue(msg.events);
      case "live":
        return this.#feed.enqueue(async () => {
          if (!this.#connectWaiters.resolveAll()) return;
          this.#emit("live", { seq: this.lastAppliedSeq });
          if (this.#options.verifyAfterCatchUp) this.#feed.verifyInBackground(this.#options.connectTimeoutMs ?? 60_000);
        });
      case "ack":
        this.#local.acked(msg.id, msg.seq);
        return this.#writes.acked(msg.id, { seq: msg.seq, duplicate: msg.duplicate });
      case "reject":
        return this.#onReject(msg);
      case "error":
        return this.#fail(new SyncError(msg.code, msg.message));
      case "aggregate":
        return this.#aggregates.settle(msg);
    }
  }

  #onWelcome(socket: WebSocket, msg: WelcomeMessage): void {
    const replica = this.#feed.replica!;
    const where = { dbPath: this.#options.dbPath ?? null, url: this.#safeUrl, unsent: this.#writes.size };
    const problem = registryProblem({ hash: replica.registryHash, version: replica.registryVersion }, msg);
    // Another deployment's replica, or one ahead of this log (applying on would skip seqs that are
    // other events here): stop, touching nothing of it; the outbox stays where it is.
    const stop =
      problem !== null ? registryMismatch(problem, where) : msg.headSeq < replica.appliedSeq ? replicaAhead({ ...where, appliedSeq: replica.appliedSeq, headSeq: msg.headSeq }) : null;
    if (stop !== null) {
      this.#connectWaiters.rejectAll(stop);
      this.#fail(stop);
      void this.close();
      return;
    }
    this.#registry = msg.registry;
    this.#welcome = msg;
    this.#connection.dispatch({ type: "welcome", socket, welcome: msg, appliedSeq: replica.appliedSeq });
  }

  /**
   * The handshake is done: give the replica the registry it starts from when it has none of its
   * own (in order with the events), then resend the outbox. A replica that has one moves through
   * later versions by the registry events in the stream (docs/PROTOCOL.md §10.4).
   */
  #handshake(welcome: WelcomeMessage): void {
    const replica = this.#feed.replica!;
    const start = welcome.base ?? (welcome.registryHistory === undefined ? welcome.registry : undefined);
    if (start !== undefined && replica.registry === null) this.#feed.enqueue(() => replica.install(start));
    this.#appliedReports.reconnected();
    this.#emit("connected", { serverId: welcome.serverId, headSeq: welcome.headSeq });
    this.#frames = { maxEvents: welcome.maxEventsPerFrame ?? 1, maxBytes: welcome.maxMessageBytes };
    this.#sendEvents(this.#writes.durable());
  }

  /** Durable events to the live connection, as many per frame as the gateway takes (none without one). */
  #sendEvents(events: readonly ClientEvent[]): void {
    if (events.length === 0 || this.#connection.liveSocket === null) return;
    this.#connection.sendFrames(eventFrames(events, this.#frames));
  }

  #onReject(msg: Extract<ServerMessage, { type: "reject" }>): void {
    if (this.#aggregates.rejected(msg.id, msg.code, msg.message)) return;
    const writes = this.#writes;
    if (isRetryable(msg.code) && writes.has(msg.id)) {
      // RATE_LIMITED or LOG_UNAVAILABLE: stays in the outbox; resent after a pause that grows
      // with each refusal of this event (and after any reconnect). A resent event may be
      // sequenced after events sent later: wait for an ack where order matters.
      const ws = this.#connection.liveSocket;
      const tries = writes.refusedForNow(msg.id);
      const timer = setTimeout(() => {
        const event = writes.get(msg.id);
        if (event && ws !== null && this.#connection.liveSocket === ws) this.#connection.send({ type: "event", event });
      }, backoffDelay(tries, this.#options.backoff));
      (timer as { unref?: () => void }).unref?.(); // a browser timer has no unref
      return;
    }
    const error = new SyncError(msg.code, msg.message, { eventId: msg.id });
    const { event, delivered } = writes.refused(msg.id, error);
    this.#local.refused(msg.id, error);
    this.#stats.record(event?.template ?? "RAW_DML", "failed");
    if (!delivered) this.#fail(error);
  }

  #emit<K extends keyof SyncClientEvents>(name: K, value: SyncClientEvents[K]): void {
    this.#emitter.emit(name, value, (error) => this.#log.error("event listener threw", { error: String(error) }));
  }

  #fail(error: SyncError): void {
    this.#log.warn(error.message, { code: error.code, clientId: this.#clientId });
    this.#emit("error", error);
  }
}

/** The URL without its query string (which may carry `?token=`), for messages and logs. */
function safeUrl(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}

/** Longest id the server accepts; exported for callers that bring their own client ids. */
export const MAX_CLIENT_ID_LENGTH = Limits.maxIdLength;
