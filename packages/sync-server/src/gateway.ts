/**
 * The WebSocket gateway: validates each frame, appends events to the log, acknowledges them once
 * durable, fans them out with `server.publish`, and serves catch-up in bounded pages.
 * @module
 */
import type { Server, ServerWebSocket } from "bun";
import {
  CloseCode,
  ErrorCode,
  RAW_DML_TEMPLATE,
  checkRawDmlParams,
  encodeServerMessage,
  isRetryable,
  parseClientMessage,
  SyncError,
  type ClientEvent,
  type HelloMessage,
  type SequencedEvent,
  type ServerMessage,
  type SnapshotOffer,
  type TemplateRegistry,
  type WelcomeMessage,
} from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";
import { Admission } from "./admission.ts";
import type { Authenticator, Principal } from "./auth.ts";
import { aggregateAnswer, aggregateRoute } from "./aggregate-api.ts";
import { ConnectionGuard, type GuardState } from "./connection-guard.ts";
import { CorkedReplies } from "./corked-replies.ts";
import type { EventLog } from "./event-log.ts";
import { FanOut } from "./fan-out.ts";
import { GatewayStats } from "./gateway-stats.ts";
import { GatewayMetrics, type MetricSources } from "./metrics.ts";
import type { LimitsConfig } from "./security-config.ts";

/** Catch-up pauses while this many bytes wait in a socket's send buffer (at most half the backpressure limit). */
const CATCH_UP_HIGH_WATER = 4 << 20;

export interface GatewayOptions {
  readonly port: number;
  readonly host: string;
  readonly serverId: string;
  readonly registry: TemplateRegistry;
  readonly log: EventLog;
  readonly logger: Logger;
  readonly maxMessageBytes: number;
  readonly maxEventBytes: number;
  readonly allowRawDml: boolean;
  readonly pageSize: number;
  /** Token verifier; null: authentication is off. */
  readonly auth?: Authenticator | null;
  /** Origins browsers may connect from; null or absent: any. */
  readonly allowedOrigins?: readonly string[] | null;
  /** Rate, connection, backpressure and idle limits. */
  readonly limits: LimitsConfig;
  /**
   * Snapshots for clients behind the archive horizon (or with a long replay ahead): what to offer
   * in the welcome, and the `GET /snapshot` handler. Without it, such clients only get
   * `SNAPSHOT_REQUIRED`.
   */
  readonly snapshots?: {
    offerFor(lastSeq: number): SnapshotOffer | null;
    handle(req: Request): Promise<Response>;
  };
  /** JetStream mode: `GET /index-snapshot`, a copy of the id index for a gateway bootstrapping from this one. */
  readonly indexSnapshots?: { handle(): Promise<Response> };
  /** Extra fields for GET /health and GET /stats (e.g. the server replica's position). */
  readonly describe?: () => Record<string, unknown>;
  /** Extra gauges for GET /metrics (server replica position, log size on disk). */
  readonly probes?: Pick<MetricSources, "replicaSeq" | "logFileBytes" | "stream">;
}

interface Connection extends GuardState {
  state: "new" | "catching-up" | "live";
  drained: (() => void) | null;
  /** Who the token says this is; null when authentication is off. */
  readonly principal: Principal | null;
}

type Socket = ServerWebSocket<Connection>;

export interface Gateway {
  readonly port: number;
  readonly url: string;
  readonly stats: GatewayStats;
  /** Stop accepting, close every socket with 1001, stop fan-out. Does not close the log. */
  stop(): Promise<void>;
}

/**
 * @example
 * const gateway = startGateway({ port: 0, host: "127.0.0.1", registry, log, logger, ... });
 * console.log(gateway.url); // ws://127.0.0.1:54321
 */
export function startGateway(options: GatewayOptions): Gateway {
  const { log, logger, registry, limits } = options;
  const sockets = new Set<Socket>();
  const metrics = new GatewayMetrics({
    connectedClients: () => sockets.size,
    headSeq: () => log.headSeq,
    horizonSeq: () => log.horizonSeq,
    ...options.probes,
  });
  const stats = new GatewayStats(options.serverId, metrics);
  const registryWire = registry.toWire();
  const catchUpHighWater = Math.min(CATCH_UP_HIGH_WATER, limits.backpressureLimit / 2);
  const admission = new Admission({
    auth: options.auth ?? null,
    allowedOrigins: options.allowedOrigins ?? null,
    maxConnections: limits.maxConnections,
    logger,
  });
  const guard = new ConnectionGuard(limits, logger);
  const fanOut = new FanOut<Connection>(limits.backpressureLimit, (ws, bufferedBytes) => {
    logger.warn("slow consumer disconnected", { connId: ws.data.connId, clientId: ws.data.clientId, bufferedBytes, limit: limits.backpressureLimit });
  });

  const write = (ws: Socket, frame: string): void => {
    if (ws.readyState === 1 && ws.send(frame) === -1) fanOut.check(ws);
  };
  const send = (ws: Socket, message: ServerMessage | WelcomeMessage): void => write(ws, encodeServerMessage(message));
  // Acks resolve after their group commit, outside any socket callback: corked per socket.
  const replies = new CorkedReplies<Connection>(write);
  const reject = (ws: Socket, id: string, code: ErrorCode, message: string, quiet = false): void => {
    stats.rejected(code);
    if (!quiet) logger.info("event rejected", { connId: ws.data.connId, clientId: ws.data.clientId, eventId: id, code, reason: message });
    send(ws, { type: "reject", id, code, message, retryable: isRetryable(code) });
  };
  const fail = (ws: Socket, code: ErrorCode, message: string, quiet = false): void => {
    stats.rejected(code);
    if (!quiet) logger.info("bad frame", { connId: ws.data.connId, clientId: ws.data.clientId, code, reason: message });
    send(ws, { type: "error", code, message });
  };

  const unsubscribe = log.onCommit((events) => {
    stats.committed(events);
    fanOut.publish(encodeServerMessage({ type: "events", events: events as SequencedEvent[] }));
    const recipients: (string | null)[] = [];
    for (const ws of sockets) if (ws.data.state === "live") recipients.push(ws.data.clientId);
    stats.sent(events, recipients, true);
    if (logger.isEnabled("debug")) {
      for (const e of events) {
        logger.debug("event committed", { eventId: e.id, seq: e.seq, template: e.template, clientId: e.clientId, traceparent: e.traceparent });
      }
    }
  });

  const catchUp = async (ws: Socket, fromSeq: number): Promise<void> => {
    let cursor = fromSeq;
    while (ws.readyState === 1) {
      const page = await log.read(cursor, options.pageSize);
      if (ws.readyState !== 1) return;
      if (page.length > 0) {
        if (page[0]!.seq !== cursor + 1) {
          fail(ws, ErrorCode.SNAPSHOT_REQUIRED, `events after seq ${cursor} are no longer in the log (first held: ${page[0]!.seq})`);
          ws.close(CloseCode.SNAPSHOT_REQUIRED, "snapshot required");
          return;
        }
        send(ws, { type: "events", events: page });
        stats.sent(page, [ws.data.clientId], false);
        cursor = page[page.length - 1]!.seq;
      }
      // Go live only with a drained buffer: a big last page still queued would count against
      // the slow-consumer limit the moment the socket joins the fan-out.
      if (ws.getBufferedAmount() > catchUpHighWater) {
        await new Promise<void>((r) => (ws.data.drained = r));
        continue;
      }
      // No await between this check and subscribe(): commits (and their publish) happen on this
      // thread, so every seq > cursor is published after the socket joined the topic.
      if (cursor >= log.headSeq) {
        fanOut.join(ws);
        ws.data.state = "live";
        send(ws, { type: "live", seq: cursor });
        return;
      }
      if (page.length === 0) {
        fail(ws, ErrorCode.INTERNAL, `log returned nothing after seq ${cursor} below head ${log.headSeq}`);
        ws.close(CloseCode.INTERNAL_ERROR, "catch-up failed");
        return;
      }
    }
  };

  const onHello = (ws: Socket, hello: HelloMessage): void => {
    if (ws.data.clientId !== null) return fail(ws, ErrorCode.BAD_MESSAGE, "hello was already received on this connection");
    const principal = ws.data.principal;
    if (principal !== null && hello.clientId !== principal.sub) {
      // Not recoverable on this connection: the client must use the id its token names.
      fail(ws, ErrorCode.FORBIDDEN, `hello clientId ${JSON.stringify(hello.clientId)} is not the token's subject ${JSON.stringify(principal.sub)}`);
      ws.close(CloseCode.POLICY_VIOLATION, "clientId does not match token");
      return;
    }
    ws.data.clientId = hello.clientId;
    ws.data.state = "catching-up";
    const snapshot = options.snapshots?.offerFor(Math.min(hello.lastSeq, log.headSeq)) ?? null;
    const welcome: WelcomeMessage = {
      type: "welcome",
      serverId: options.serverId,
      headSeq: log.headSeq,
      horizonSeq: log.horizonSeq,
      registry: registryWire,
      maxMessageBytes: options.maxMessageBytes,
      ...(snapshot === null ? {} : { snapshot }),
    };
    send(ws, welcome);
    logger.info("client connected", { connId: ws.data.connId, clientId: hello.clientId, lastSeq: hello.lastSeq, headSeq: log.headSeq, snapshot: snapshot?.required ?? null });
    if (snapshot?.required) {
      // The events after lastSeq are archived: the log alone cannot bring this replica up to date.
      fail(ws, ErrorCode.SNAPSHOT_REQUIRED, `events after seq ${hello.lastSeq} are archived (the log starts at ${log.horizonSeq}); bootstrap from ${snapshot.url}`);
      ws.close(CloseCode.SNAPSHOT_REQUIRED, "snapshot required");
      return;
    }
    catchUp(ws, Math.min(hello.lastSeq, log.headSeq)).catch((error) => {
      logger.error("catch-up failed", { connId: ws.data.connId, error: String(error) });
      ws.close(CloseCode.INTERNAL_ERROR, "catch-up failed");
    });
  };

  const onEvent = (ws: Socket, event: ClientEvent): void => {
    if (ws.data.clientId === null) return reject(ws, event.id, ErrorCode.NOT_READY, "send hello before events");
    if (event.clientId !== ws.data.clientId) {
      return reject(ws, event.id, ErrorCode.FORBIDDEN, `event clientId ${JSON.stringify(event.clientId)} differs from this connection's ${JSON.stringify(ws.data.clientId)}`);
    }
    const raw = event.template === RAW_DML_TEMPLATE;
    if (raw && !options.allowRawDml) {
      return reject(ws, event.id, ErrorCode.RAW_DML_DISABLED, "raw DML is disabled on this server; use a registered template (or start the server with --allow-raw-dml)");
    }
    const allowed = ws.data.principal?.templates;
    if (allowed && !allowed.has(event.template)) {
      return reject(ws, event.id, ErrorCode.FORBIDDEN, `this token may not write ${event.template}; it may write: ${[...allowed].join(", ") || "nothing"}`);
    }
    const valid = raw ? checkRawDmlParams(event.params) : registry.validate(event.template, event.params);
    if (!valid.ok) return reject(ws, event.id, valid.code, valid.message);
    const params = "params" in valid ? valid.params : { cypher: valid.cypher };
    stats.received(event.template, event.clientId);
    if (logger.isEnabled("debug")) {
      logger.debug("event received", { eventId: event.id, template: event.template, clientId: event.clientId, connId: ws.data.connId, traceparent: event.traceparent });
    }
    const started = performance.now();
    log.append([{ ...event, params }]).then(
      ([outcome]) => {
        stats.acked(performance.now() - started, outcome!.duplicate);
        if (outcome!.duplicate && logger.isEnabled("debug")) {
          logger.debug("duplicate event acked with its original seq", { eventId: event.id, seq: outcome!.seq, template: event.template, clientId: event.clientId, traceparent: event.traceparent });
        }
        replies.queue(ws, encodeServerMessage({ type: "ack", id: event.id, seq: outcome!.seq, duplicate: outcome!.duplicate }));
      },
      (error: unknown) => {
        const code = error instanceof SyncError ? error.code : ErrorCode.INTERNAL;
        logger.error("append failed", { eventId: event.id, code, error: String(error) });
        reject(ws, event.id, code, error instanceof Error ? error.message : "append failed");
      },
    );
  };

  const server: Server<Connection> = Bun.serve({
    port: options.port,
    hostname: options.host,
    async fetch(req, srv) {
      const url = new URL(req.url);
      const remote = srv.requestIP(req)?.address ?? null;
      if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
        // Everything is decided here, before the upgrade: a refused request never gets a socket.
        const verdict = await admission.admitUpgrade(req, url, sockets.size, remote);
        if (!verdict.ok) return verdict.response;
        const data: Connection = { connId: crypto.randomUUID(), clientId: null, state: "new", drained: null, principal: verdict.principal, ...guard.initialState() };
        if (srv.upgrade(req, { data })) return undefined;
        return new Response("WebSocket upgrade failed", { status: 400 });
      }
      const denied = await admission.guardHttp(req, url, remote);
      if (denied) return denied;
      if (req.method !== "GET") return Response.json({ error: "method not allowed" }, { status: 405 });
      switch (url.pathname) {
        case "/health":
          return Response.json({ status: "ok", serverId: options.serverId, headSeq: log.headSeq, horizonSeq: log.horizonSeq, ...options.describe?.() });
        case "/stats":
          return Response.json({
            serverId: options.serverId,
            headSeq: log.headSeq,
            horizonSeq: log.horizonSeq,
            connectedClients: sockets.size,
            liveClients: fanOut.liveCount,
            slowConsumersDisconnected: fanOut.evicted,
            refusedUpgrades: Object.fromEntries(admission.refused),
            ...stats.snapshot(log.templateCounts(), log.clientCounts?.()),
            ...options.describe?.(),
          });
        case "/metrics":
          return metrics.render().then(({ body, contentType }) => new Response(body, { headers: { "content-type": contentType } }));
        case "/templates":
          return Response.json(registryWire);
        case "/snapshot":
          return options.snapshots ? options.snapshots.handle(req) : Response.json({ error: "snapshots are not enabled" }, { status: 404 });
        case "/index-snapshot":
          return options.indexSnapshots ? options.indexSnapshots.handle() : Response.json({ error: "not found: /index-snapshot exists only with --log jetstream" }, { status: 404 });
        default: {
          const answer = aggregateRoute(url.pathname, log.aggregates, log.headSeq);
          if (answer !== null && answer.ok) metrics.aggregateReads.inc({ via: "http" });
          return answer ?? Response.json({ error: "not found" }, { status: 404 });
        }
      }
    },
    websocket: {
      data: {} as Connection,
      maxPayloadLength: options.maxMessageBytes,
      // Half-open peers (gone without a FIN) answer no ping: they are closed after this long.
      idleTimeout: limits.idleTimeoutSeconds,
      sendPings: true,
      backpressureLimit: fanOut.bunBackpressureLimit,
      closeOnBackpressureLimit: false,
      open(ws) {
        sockets.add(ws);
        const principal = ws.data.principal;
        if (principal !== null) guard.armExpiry(ws, principal.expiresAt);
      },
      message(ws, frame) {
        const bytes = typeof frame === "string" ? Buffer.byteLength(frame) : frame.byteLength;
        const parsed = parseClientMessage(frame);
        // Every frame but the first hello spends a token, garbage included: parsing is the cost being limited.
        const firstHello = parsed.ok && parsed.message.type === "hello" && ws.data.clientId === null;
        const refusal = firstHello ? null : guard.spend(ws);
        if (refusal !== null) {
          const msg = parsed.ok ? parsed.message : null;
          const id = msg === null ? (parsed.ok ? undefined : parsed.id) : msg.type === "event" ? msg.event.id : "id" in msg ? msg.id : undefined;
          return id === undefined ? fail(ws, ErrorCode.RATE_LIMITED, refusal, true) : reject(ws, id, ErrorCode.RATE_LIMITED, refusal, true);
        }
        if (bytes > options.maxEventBytes) {
          const code = ErrorCode.EVENT_TOO_LARGE;
          const message = `frame of ${bytes} bytes exceeds the ${options.maxEventBytes}-byte event limit`;
          // Name the event even when the frame did not parse, so its sender's promise settles.
          const id = !parsed.ok ? parsed.id : parsed.message.type === "hello" ? undefined : parsed.message.type === "event" ? parsed.message.event.id : parsed.message.id;
          return id === undefined ? fail(ws, code, message) : reject(ws, id, code, message);
        }
        if (!parsed.ok) return parsed.id === undefined ? fail(ws, parsed.code, parsed.message) : reject(ws, parsed.id, parsed.code, parsed.message);
        const msg = parsed.message;
        switch (msg.type) {
          case "hello":
            return onHello(ws, msg);
          case "event":
            return onEvent(ws, msg.event);
          case "aggregate":
            if (ws.data.clientId === null) return send(ws, { type: "reject", id: msg.id, code: ErrorCode.NOT_READY, message: "send hello before requests", retryable: false });
            metrics.aggregateReads.inc({ via: "socket" });
            return send(ws, aggregateAnswer(msg, log.aggregates, log.headSeq));
          case "dml":
            // Shorthand for an event of the reserved RAW_DML template.
            return onEvent(ws, { id: msg.id, template: RAW_DML_TEMPLATE, params: { cypher: msg.cypher }, clientId: msg.clientId, timestamp: msg.timestamp });
        }
      },
      drain(ws) {
        const resume = ws.data.drained;
        ws.data.drained = null;
        resume?.();
      },
      close(ws, code) {
        sockets.delete(ws);
        fanOut.leave(ws);
        guard.release(ws);
        ws.data.drained?.();
        if (ws.data.clientId !== null) logger.info("client disconnected", { connId: ws.data.connId, clientId: ws.data.clientId, code });
      },
    },
  });

  fanOut.attach(server);

  return {
    port: server.port!,
    url: `ws://${options.host === "0.0.0.0" ? "127.0.0.1" : options.host}:${server.port}`,
    stats,
    async stop() {
      unsubscribe();
      for (const ws of sockets) ws.close(CloseCode.GOING_AWAY, "server shutting down");
      await server.stop(true);
    },
  };
}
