/**
 * `createSyncClient()`: a local KuzuDB replica kept in sync with a kuzu-sync gateway.
 * @module
 */
import {
  CloseCode,
  ErrorCode,
  Limits,
  RAW_DML_TEMPLATE,
  SyncError,
  encodeClientMessage,
  isRetryable,
  parseServerMessage,
  type ClientEvent,
  type SequencedEvent,
  type ServerMessage,
  type SnapshotOffer,
  type WireRegistry,
} from "@kuzu-sync/protocol";
import { Replica, type ApplyOutcome } from "@kuzu-sync/replica";
import { DmlStats, createLogger, type DmlStatsSnapshot, type Logger, type TemplateStats } from "@kuzu-sync/telemetry";
import { AggregateRequests } from "./aggregate-requests.ts";
import { backoffDelay } from "./backoff.ts";
import { fatalClose, refusedUpgrade } from "./close-reasons.ts";
import type { SyncClientEvents, SyncClientOptions } from "./client-options.ts";
import { Emitter } from "./emitter.ts";
import { Inbox, type InboxItem } from "./inbox.ts";
import { memoryOutbox, sqliteOutbox } from "./outbox.ts";
import { PendingWrites } from "./pending-writes.ts";
import { SeqWaiters } from "./seq-waiters.ts";
import { fetchToken } from "./token-source.ts";
import { bootstrapFromSnapshot, removeBootstrapLeftovers } from "./snapshot-bootstrap.ts";
import { clientIdRefusal, eventRefusal } from "./write-checks.ts";

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: SyncError) => void;
}

/**
 * @example
 * const client = createSyncClient("ws://localhost:8080", { dbPath: "./replica.kuzu" });
 * await client.connect();
 * const { seq } = await client.executeTemplate("CREATE_USER", { id: "u1", name: "Alice" });
 * await client.waitForSeq(seq);
 * console.log(await client.query("MATCH (u:User) RETURN u.name AS name"));
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
  #clientId: string;
  #stats: DmlStats;
  #replica: Replica | null = null;
  /** The outbox and the answers awaited for it; null until connect() opened it. */
  #writes: PendingWrites | null = null;
  #ws: WebSocket | null = null;
  #welcomed = false;
  #registry: WireRegistry | null = null;
  #attempt = 0;
  #closed = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #statsTimer: ReturnType<typeof setInterval> | null = null;
  readonly #seqWaiters = new SeqWaiters(() => this.lastAppliedSeq);
  readonly #aggregates = new AggregateRequests();
  #liveWaiter: Waiter<void> | null = null;
  /** Work received from the server, processed strictly in arrival order by one drain loop. */
  readonly #inbox = new Inbox(
    (events) => this.#apply(events),
    (cause) => this.#fail(new SyncError(ErrorCode.INTERNAL, String(cause), { cause })),
  );
  #opening: Promise<void> | null = null;
  /** A connection attempt is waiting for getToken(). */
  #dialing = false;
  /** The token of the current connection (also sent with GET /snapshot). */
  #token: string | undefined;
  /** Set between a welcome that points at a snapshot and the end of the bootstrap. */
  #snapshotOffer: SnapshotOffer | null = null;
  readonly #abort = new AbortController();

  constructor(url: string, options: SyncClientOptions) {
    this.url = url;
    this.#options = { ...options };
    this.#log = options.logger ?? createLogger({ serviceName: "sync-client", level: "warn" });
    this.#clientId = options.clientId ?? `client-${crypto.randomUUID()}`;
    this.#stats = new DmlStats(this.#clientId);
  }

  get clientId(): string {
    return this.#clientId;
  }

  /** Highest seq applied by the local replica. */
  get lastAppliedSeq(): number {
    return this.#replica?.appliedSeq ?? 0;
  }

  /** Whether the socket is open and the handshake is done. */
  get connected(): boolean {
    return this.#welcomed && this.#ws?.readyState === WebSocket.OPEN;
  }

  /** Events handed to the client and not yet acknowledged. */
  get pendingCount(): number {
    return this.#writes?.size ?? 0;
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
    return this.#writes!.flush();
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
    if (this.connected && this.#liveWaiter === null) return;
    const live = new Promise<void>((resolve, reject) => (this.#liveWaiter = { resolve, reject }));
    const timeoutMs = this.#options.connectTimeoutMs ?? 30_000;
    const timer = setTimeout(() => this.#settleLive(new SyncError(ErrorCode.TIMEOUT, `could not sync with ${this.#safeUrl} within ${timeoutMs} ms`)), timeoutMs);
    if (this.#ws === null && !this.#dialing) {
      if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
      this.#dial();
    }
    try {
      await live;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Send a template event. Resolves with its seq once the server has made it durable; rejects
   * with a SyncError carrying the server's code. Survives reconnects (the outbox resends it).
   * `options.id` sets the idempotency key (default: a random UUID); sending the same id again,
   * even much later, returns the original seq with `duplicate: true`.
   */
  executeTemplate(
    template: string,
    params: Record<string, unknown>,
    options: { readonly traceparent?: string; readonly id?: string } = {},
  ): Promise<{ seq: number; duplicate: boolean }> {
    if (this.#closed) return Promise.reject(new SyncError(ErrorCode.CLOSED, "client is closed"));
    const writes = this.#writes;
    if (!writes) {
      // Called while connect() is still opening the replica and outbox: queue behind it.
      if (this.#opening) return this.#opening.then(() => this.executeTemplate(template, params, options));
      return Promise.reject(new SyncError(ErrorCode.NOT_READY, "call connect() first"));
    }
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
    const acked = writes.track(event);
    this.#stats.record(template, "sent");
    if (this.connected) this.#ws!.send(encodeClientMessage({ type: "event", event }));
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
    if (!this.connected) throw new SyncError(ErrorCode.NOT_READY, "not connected");
    const result = await this.#aggregates.send(this.#ws!, name, key);
    return key === undefined ? (result.values ?? {}) : (result.value ?? null);
  }

  /** Resolves once the local replica has applied `seq`. */
  waitForSeq(seq: number, timeoutMs = 30_000): Promise<void> {
    return this.#seqWaiters.wait(seq, timeoutMs);
  }

  /** Read from the local replica; rows as plain objects. */
  query(cypher: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    if (!this.#replica) return Promise.reject(new SyncError(ErrorCode.NOT_READY, "call connect() first"));
    return this.#replica.query(cypher, params);
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
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    if (this.#statsTimer) clearInterval(this.#statsTimer);
    this.#ws?.close(1000, "client closed");
    this.#ws = null;
    this.#abort.abort(new SyncError(ErrorCode.CLOSED, "client closed"));
    const closed = new SyncError(ErrorCode.CLOSED, "client closed before this completed");
    this.#settleLive(closed);
    this.#writes?.failAll(closed);
    this.#seqWaiters.failAll(closed);
    this.#aggregates.failAll(closed);
    await this.#opening?.catch(() => {});
    await this.#inbox.idle();
    await this.#replica?.close();
    this.#writes?.outbox.close();
  }

  async #open(): Promise<void> {
    const path = this.#options.dbPath;
    const outbox = path ? sqliteOutbox(`${path}.outbox.sqlite`) : memoryOutbox();
    this.#writes = new PendingWrites(outbox);
    if (path && this.#options.clientId === undefined) {
      // A persistent replica keeps its identity, so its stats and its events stay attributable.
      const stored = outbox.meta("clientId");
      if (stored) this.#clientId = stored;
      else outbox.setMeta("clientId", this.#clientId);
      this.#stats = new DmlStats(this.#clientId);
    }
    if (path) removeBootstrapLeftovers(path);
    this.#replica = await Replica.open({ path: path ?? null, logger: this.#log });
    const interval = this.#options.statsIntervalMs ?? 5_000;
    if (interval > 0) {
      this.#statsTimer = setInterval(() => this.#report(), interval);
      this.#statsTimer.unref?.();
    }
  }

  #report(): void {
    const report = this.#stats.formatReport();
    if (this.#options.onStatsReport) this.#options.onStatsReport(report, this.#stats.getDMLStats());
    else this.#log.info(report, { clientId: this.#clientId });
  }

  /** The URL without its query string (which may carry `?token=`), for messages and logs. */
  get #safeUrl(): string {
    const q = this.url.indexOf("?");
    return q < 0 ? this.url : `${this.url.slice(0, q)}?…`;
  }

  #dial(): void {
    if (this.#closed) return;
    const source = this.#options.getToken;
    if (source === undefined) return this.#openSocket(this.#options.token);
    this.#dialing = true;
    // A fresh token for every attempt: after a 4001 (expired) close this is what renews it.
    fetchToken(source).then(
      (token) => {
        this.#dialing = false;
        this.#openSocket(token);
      },
      (error: SyncError) => {
        this.#dialing = false;
        this.#fail(error);
        this.#scheduleReconnect();
      },
    ).catch((cause: unknown) => {
      // Opening the socket threw: report it and try again, as for any failed attempt.
      this.#fail(new SyncError(ErrorCode.INTERNAL, String(cause), { cause }));
      this.#scheduleReconnect();
    });
  }

  #openSocket(token: string | undefined): void {
    if (this.#closed) return;
    this.#token = token;
    const ws = token === undefined ? new WebSocket(this.url) : new WebSocket(this.url, { headers: { Authorization: `Bearer ${token}` } });
    this.#ws = ws;
    this.#welcomed = false;
    let opened = false;
    let failure = "";
    ws.onopen = () => {
      opened = true;
      ws.send(
        encodeClientMessage({
          type: "hello",
          clientId: this.#clientId,
          lastSeq: this.lastAppliedSeq,
          ...(this.#replica?.registryHash ? { registryHash: this.#replica.registryHash } : {}),
        }),
      );
    };
    ws.onmessage = (m) => this.#onMessage(m.data as string);
    ws.onclose = (e) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#welcomed = false;
      this.#aggregates.failAll(new SyncError(ErrorCode.CLOSED, "connection closed before the aggregate answer arrived"));
      this.#emitter.emit("disconnected", { code: e.code, reason: e.reason }, (err) => this.#listenerFailed(err));
      const fatal = opened ? fatalClose(e.code, e.reason) : refusedUpgrade(failure, this.#safeUrl);
      if (fatal) return this.#halt(fatal);
      const offer = this.#snapshotOffer;
      if (offer && !this.#closed) this.#bootstrap(offer);
      else this.#scheduleReconnect();
    };
    ws.onerror = (e) => {
      // onclose follows and decides; Bun's message names the HTTP status of a refused upgrade.
      failure = (e as ErrorEvent).message ?? "";
    };
  }

  /** Stop reconnecting after a refusal that retrying cannot fix; `connect()` may be called again. */
  #halt(error: SyncError): void {
    this.#fail(error);
    this.#settleLive(error);
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    if (this.#options.autoReconnect === false) {
      this.#settleLive(new SyncError(ErrorCode.CLOSED, `connection to ${this.#safeUrl} closed`));
      return;
    }
    const delay = backoffDelay(this.#attempt++, this.#options.backoff);
    this.#reconnectTimer = setTimeout(() => this.#dial(), delay);
  }

  #onMessage(frame: string): void {
    const parsed = parseServerMessage(frame);
    if (!parsed.ok) {
      this.#fail(new SyncError(parsed.code, `bad frame from server: ${parsed.message}`));
      return;
    }
    const msg = parsed.message;
    // Bootstrapping: whatever else this connection still delivers is superseded by the snapshot.
    if (this.#snapshotOffer && (msg.type === "events" || msg.type === "live" || msg.type === "error")) return;
    switch (msg.type) {
      case "welcome":
        return this.#onWelcome(msg);
      case "events":
        for (const e of msg.events) if (e.duplicateOf === undefined) this.#stats.record(e.template, "received");
        return this.#enqueue(msg.events);
      case "live":
        return this.#enqueue(async () => this.#settleLive());
      case "ack": {
        this.#writes?.acked(msg.id, { seq: msg.seq, duplicate: msg.duplicate });
        return;
      }
      case "reject":
        return this.#onReject(msg);
      case "error":
        return this.#fail(new SyncError(msg.code, msg.message));
      case "aggregate":
        return this.#aggregates.settle(msg);
    }
  }

  #onWelcome(msg: Extract<ServerMessage, { type: "welcome" }>): void {
    const replica = this.#replica!;
    if (replica.registryHash !== null && replica.registryHash !== msg.registry.hash) {
      const error = new SyncError(ErrorCode.REGISTRY_MISMATCH, `local replica was built with another template registry than ${this.#safeUrl} serves; use a new dbPath`);
      this.#settleLive(error);
      this.#fail(error);
      void this.close();
      return;
    }
    if (msg.headSeq < replica.appliedSeq) {
      this.#fail(new SyncError(ErrorCode.INTERNAL, `local replica is at seq ${replica.appliedSeq} but the server's head is ${msg.headSeq}: the server lost history or is another deployment`));
    }
    this.#registry = msg.registry;
    const offer = msg.snapshot;
    if (offer && (offer.required || (this.#options.useSnapshots !== false && offer.seq > replica.appliedSeq))) {
      // Build the replica from the snapshot, then say hello again from its seq (see #bootstrap).
      this.#snapshotOffer = offer;
      this.#ws?.close(1000, "bootstrapping from snapshot");
      return;
    }
    this.#enqueue(() => replica.install(msg.registry));
    this.#welcomed = true;
    this.#attempt = 0;
    this.#emitter.emit("connected", { serverId: msg.serverId, headSeq: msg.headSeq }, (err) => this.#listenerFailed(err));
    for (const event of this.#writes!.outbox.pending()) this.#ws!.send(encodeClientMessage({ type: "event", event }));
  }

  /**
   * Runs after the connection that announced the snapshot closed: once pending applies are done,
   * replace the replica with the snapshot, then connect again (hello with the snapshot's seq).
   * On failure the old replica stays and the client reconnects with backoff, which asks again.
   */
  #bootstrap(offer: SnapshotOffer): void {
    const registry = this.#registry!;
    const dbPath = this.#options.dbPath ?? null;
    this.#enqueue(async () => {
      const current = this.#replica!;
      try {
        this.#replica = await bootstrapFromSnapshot({
          wsUrl: this.url,
          offer,
          current,
          dbPath,
          registryHash: registry.hash,
          logger: this.#log,
          onProgress: (p) => this.#emitter.emit("snapshot", p, (err) => this.#listenerFailed(err)),
          signal: this.#abort.signal,
          ...(this.#token === undefined ? {} : { token: this.#token }),
        });
      } catch (cause) {
        this.#snapshotOffer = null;
        if (this.#closed) return;
        if (current.closed && dbPath) this.#replica = await Replica.open({ path: dbPath, logger: this.#log });
        this.#fail(cause instanceof SyncError ? cause : new SyncError(ErrorCode.INTERNAL, `snapshot bootstrap failed: ${String(cause)}`, { cause }));
        this.#scheduleReconnect();
        return;
      }
      this.#snapshotOffer = null;
      this.#log.info("replica bootstrapped from snapshot", { clientId: this.#clientId, seq: this.#replica.appliedSeq });
      this.#seqWaiters.applied();
      this.#attempt = 0;
      this.#dial();
    });
  }

  #onReject(msg: Extract<ServerMessage, { type: "reject" }>): void {
    if (this.#aggregates.rejected(msg.id, msg.code, msg.message)) return;
    const writes = this.#writes;
    if (isRetryable(msg.code) && writes?.outbox.has(msg.id)) {
      // RATE_LIMITED or LOG_UNAVAILABLE: stays in the outbox; resent after a pause that grows
      // with each refusal of this event (and after any reconnect). A resent event may be
      // sequenced after events sent later: wait for an ack where order matters.
      const ws = this.#ws;
      const tries = writes.refusedForNow(msg.id);
      const timer = setTimeout(() => {
        const event = writes.outbox.get(msg.id);
        if (event && this.connected && this.#ws === ws) this.#ws!.send(encodeClientMessage({ type: "event", event }));
      }, backoffDelay(tries, this.#options.backoff));
      timer.unref?.();
      return;
    }
    const error = new SyncError(msg.code, msg.message, { eventId: msg.id });
    const { event, delivered } = writes?.refused(msg.id, error) ?? { event: undefined, delivered: false };
    this.#stats.record(event?.template ?? "RAW_DML", "failed");
    if (!delivered) this.#fail(error);
  }

  async #apply(events: readonly SequencedEvent[]): Promise<void> {
    let outcomes: ApplyOutcome[];
    try {
      outcomes = await this.#replica!.apply(events);
    } catch (cause) {
      // A gap or a broken replica: drop the connection and resume from what is really applied.
      this.#fail(cause instanceof SyncError ? cause : new SyncError(ErrorCode.INTERNAL, String(cause), { cause }));
      this.#inbox.dropEvents(); // stale: catch-up resends them
      this.#ws?.close(CloseCode.RESYNC, "resync");
      return;
    }
    const bySeq = new Map(events.map((e) => [e.seq, e]));
    for (const o of outcomes) {
      const e = bySeq.get(o.seq)!;
      // A duplicate slot (see SequencedEvent.duplicateOf) moved the replica's seq and nothing else.
      if (e.duplicateOf !== undefined) continue;
      this.#stats.record(e.template, o.ok ? "applied" : "failed");
      this.#emitter.emit("event", { ...e, ok: o.ok, ...(o.error === undefined ? {} : { error: o.error }) }, (err) => this.#listenerFailed(err));
    }
    this.#seqWaiters.applied();
  }

  #enqueue(item: InboxItem): void {
    this.#inbox.push(item);
  }

  #settleLive(error?: SyncError): void {
    const w = this.#liveWaiter;
    this.#liveWaiter = null;
    if (!w) return;
    if (error) w.reject(error);
    else w.resolve();
    if (!error) this.#emitter.emit("live", { seq: this.lastAppliedSeq }, (err) => this.#listenerFailed(err));
  }

  #fail(error: SyncError): void {
    this.#log.warn(error.message, { code: error.code, clientId: this.#clientId });
    this.#emitter.emit("error", error, (err) => this.#listenerFailed(err));
  }

  #listenerFailed(error: unknown): void {
    this.#log.error("event listener threw", { error: String(error) });
  }
}

/** Longest id the server accepts; exported for callers that bring their own client ids. */
export const MAX_CLIENT_ID_LENGTH = Limits.maxIdLength;
