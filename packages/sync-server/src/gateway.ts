/**
 * The WebSocket gateway, wired together: HTTP routes (`http-routes.ts`), one session per socket
 * (`socket-session.ts`: frames, limits, hello, events, catch-up), the fan-out of every commit to
 * the live sockets, the statistics, which listen to the gateway's activity, and the dashboard's
 * stream (`dashboard-feed.ts`).
 * @module
 */
import type { Server } from "bun";
import { CloseCode, type SnapshotOffer } from "@kuzu-sync/protocol";
import type { EventLog } from "@kuzu-sync/log";
import type { Logger } from "@kuzu-sync/telemetry";
import { Admission } from "./admission.ts";
import type { Authenticator } from "./auth.ts";
import { ConnectionGuard } from "./connection-guard.ts";
import { CorkedReplies } from "./corked-replies.ts";
import { DashboardFeed } from "./dashboard-feed.ts";
import { dashboardFrame } from "./dashboard-frame.ts";
import { FanOut } from "./fan-out.ts";
import { ActivityFeed } from "./gateway-activity.ts";
import { GatewayStats } from "./gateway-stats.ts";
import { httpRoutes } from "./http-routes.ts";
import { GatewayMetrics, type MetricSources } from "./metrics.ts";
import type { LimitsConfig } from "./security-config.ts";
import type { RegistryState } from "./registry-state.ts";
import { SocketSession, type Connection, type SessionContext, type Socket } from "./socket-session.ts";

/** Catch-up pauses while this many bytes wait in a socket's send buffer (at most half the backpressure limit). */
const CATCH_UP_HIGH_WATER = 4 << 20;

export interface GatewayOptions {
  readonly port: number;
  readonly host: string;
  readonly serverId: string;
  /** The registry in use and the log's versions (see registry-state.ts). */
  readonly registry: RegistryState;
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
  /** `status` and the fields only GET /health has (the server replica's lag and stop, gateway-health.ts). */
  readonly health?: () => Record<string, unknown> & { readonly status: string };
  /** `GET /digest` (digest-service.ts). */
  readonly digests?: { handle(url: URL): Promise<Response> };
  /** Extra gauges for GET /metrics (server replica position, log size on disk). */
  readonly probes?: Pick<MetricSources, "replicaSeq" | "logFileBytes" | "stream">;
  /** Clients not connected whose per-client statistics are kept (default 1000, most recent first). */
  readonly recentClients?: number;
  /** At most one live `events` frame per this many ms (default 10; see fan-out.ts). */
  readonly fanOutIntervalMs?: number;
  /** How long a hello past the head waits for it (JetStream: the head may lag the stream); default 0. */
  readonly headLagWaitMs?: number;
}

export interface Gateway {
  readonly port: number;
  readonly url: string;
  readonly stats: GatewayStats;
  /** What the gateway does, as it does it (statistics listen here; so can others). */
  readonly activity: ActivityFeed;
  /** Stop accepting, close every socket with 1001, stop fan-out. Does not close the log. */
  stop(): Promise<void>;
}

/**
 * @example
 * const gateway = startGateway({ port: 0, host: "127.0.0.1", registry, log, logger, ... });
 * gateway.url; // ws://127.0.0.1:54321
 */
export function startGateway(options: GatewayOptions): Gateway {
  const { log, logger, limits } = options;
  const sockets = new Set<Socket>();
  const metrics = new GatewayMetrics({
    connectedClients: () => sockets.size,
    headSeq: () => log.headSeq,
    horizonSeq: () => log.horizonSeq,
    ...options.probes,
  });
  const activity = new ActivityFeed(logger);
  const stats = new GatewayStats(metrics, options.recentClients === undefined ? {} : { recentClients: options.recentClients });
  activity.subscribe((a) => stats.observe(a));
  const admission = new Admission({
    auth: options.auth ?? null,
    allowedOrigins: options.allowedOrigins ?? null,
    maxConnections: limits.maxConnections,
    logger,
  });
  const guard = new ConnectionGuard(limits, logger);
  const fanOut = new FanOut<Connection>({
    backpressureLimit: limits.backpressureLimit,
    onEvict: (ws, bufferedBytes) => {
      logger.warn("slow consumer disconnected", { connId: ws.data.connId, clientId: ws.data.clientId, bufferedBytes, limit: limits.backpressureLimit });
    },
    onPublished: (events) => {
      const recipients: (string | null)[] = [];
      for (const ws of sockets) if (ws.data.state === "live") recipients.push(ws.data.clientId);
      activity.emit({ type: "delivered", events, recipients, live: true });
    },
    ...(options.fanOutIntervalMs === undefined ? {} : { intervalMs: options.fanOutIntervalMs }),
  });
  const write = (ws: Socket, frame: string): void => {
    if (ws.readyState === 1 && ws.send(frame) === -1) fanOut.check(ws);
  };
  const session: SessionContext = {
    serverId: options.serverId,
    registry: options.registry,
    log,
    logger,
    maxMessageBytes: options.maxMessageBytes,
    maxEventBytes: options.maxEventBytes,
    allowRawDml: options.allowRawDml,
    pageSize: options.pageSize,
    catchUpHighWater: Math.min(CATCH_UP_HIGH_WATER, limits.backpressureLimit / 2),
    snapshots: options.snapshots,
    headLagWaitMs: options.headLagWaitMs ?? 0,
    guard,
    fanOut,
    replies: new CorkedReplies<Connection>(write),
    activity,
    write,
  };
  const report = {
    serverId: options.serverId,
    log,
    admission,
    stats,
    fanOut,
    connectedClients: () => sockets.size,
    describe: options.describe,
    health: options.health,
  };
  const dashboard = new DashboardFeed(() => dashboardFrame(report));
  const routes = httpRoutes({
    ...report,
    registry: options.registry,
    metrics,
    activity,
    snapshots: options.snapshots,
    indexSnapshots: options.indexSnapshots,
    digests: options.digests,
    dashboard,
  });

  // Every commit goes to every live socket (fan-out.ts paces the frames: at most one per 10 ms).
  const unsubscribe = log.onCommit(({ events, effective }) => {
    activity.emit({ type: "committed", events: effective });
    fanOut.commit(events);
    if (logger.isEnabled("debug")) {
      for (const e of events) {
        logger.debug("event committed", { eventId: e.id, seq: e.seq, template: e.template, clientId: e.clientId, traceparent: e.traceparent });
      }
    }
  });

  const server: Server<Connection> = Bun.serve({
    port: options.port,
    hostname: options.host,
    async fetch(req, srv) {
      const url = new URL(req.url);
      const remote = srv.requestIP(req)?.address ?? null;
      if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return routes(req, url, remote);
      // Everything is decided here, before the upgrade: a refused request never gets a socket.
      const verdict = await admission.admitUpgrade(req, url, sockets.size, remote);
      if (!verdict.ok) return verdict.response;
      const data: Connection = { connId: crypto.randomUUID(), clientId: null, state: "new", drained: null, principal: verdict.principal, session: null, ...guard.initialState() };
      if (srv.upgrade(req, { data })) return undefined;
      return new Response("WebSocket upgrade failed", { status: 400 });
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
        ws.data.session = new SocketSession(ws, session);
        ws.data.session.open();
      },
      message(ws, frame) {
        ws.data.session!.receive(frame);
      },
      drain(ws) {
        ws.data.session!.drain();
      },
      close(ws, code) {
        sockets.delete(ws);
        ws.data.session!.close(code);
      },
    },
  });

  fanOut.attach(server);

  return {
    port: server.port!,
    url: `ws://${options.host === "0.0.0.0" ? "127.0.0.1" : options.host}:${server.port}`,
    stats,
    activity,
    async stop() {
      unsubscribe();
      fanOut.flush();
      dashboard.close();
      for (const ws of sockets) ws.close(CloseCode.GOING_AWAY, "server shutting down");
      await server.stop(true);
    },
  };
}
