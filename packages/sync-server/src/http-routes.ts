/**
 * The gateway's HTTP routes (every request that is not a WebSocket upgrade): the dashboard page's
 * files (no data in them, so no token), the token check (all but /health when authentication is
 * on), then `GET /health`, `/stats`, `/metrics`, `/templates`, `/registry`, `/snapshot`, `/index-snapshot`,
 * `/digest`, `/aggregates/…` and the dashboard's stream `/dashboard/stream`.
 * @module
 */
import type { EventLog } from "@kuzu-sync/log";
import type { Admission } from "./admission.ts";
import { aggregateRoute } from "./aggregate-api.ts";
import { dashboardAsset, isDashboardAsset } from "./dashboard-assets.ts";
import type { ActivityFeed } from "./gateway-activity.ts";
import type { GatewayStats } from "./gateway-stats.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { RegistryState } from "./registry-state.ts";

/** What the routes read from. */
export interface HttpRoutesContext {
  readonly serverId: string;
  readonly log: EventLog;
  readonly registry: RegistryState;
  readonly admission: Admission;
  readonly metrics: GatewayMetrics;
  readonly stats: GatewayStats;
  readonly fanOut: { readonly liveCount: number; readonly evicted: number };
  readonly activity: ActivityFeed;
  /** Open WebSocket connections. */
  readonly connectedClients: () => number;
  readonly snapshots: { handle(req: Request): Promise<Response> } | undefined;
  readonly indexSnapshots: { handle(): Promise<Response> } | undefined;
  /** Extra fields for /health and /stats. */
  readonly describe: (() => Record<string, unknown>) | undefined;
  /** `status` and the fields only /health has (gateway-health.ts); `status: "ok"` without it. */
  readonly health: (() => Record<string, unknown> & { readonly status: string }) | undefined;
  /** `GET /digest`: the server replica's digest (digest-service.ts). */
  readonly digests: { handle(url: URL): Promise<Response> } | undefined;
  /** `GET /dashboard/stream`: the dashboard's live frames. */
  readonly dashboard: { handle(): Response };
}

/** What /health and /stats are made of. */
export type ReportContext = Pick<HttpRoutesContext, "serverId" | "log" | "admission" | "stats" | "fanOut" | "connectedClients" | "describe" | "health">;

/**
 * The body of `GET /health` (the dashboard shows the same).
 * @example Response.json(healthBody(context))
 */
export function healthBody(c: ReportContext): Record<string, unknown> {
  const { status, ...health } = c.health?.() ?? { status: "ok" };
  return { status, serverId: c.serverId, headSeq: c.log.headSeq, horizonSeq: c.log.horizonSeq, ...c.describe?.(), ...health };
}

/**
 * The body of `GET /stats` (the dashboard shows part of it). `clients`: the connected clients'
 * positions, the most behind first (see client-positions.ts).
 * @example Response.json(statsBody(context))
 */
export function statsBody(c: ReportContext): Record<string, unknown> {
  const { log } = c;
  return {
    serverId: c.serverId,
    headSeq: log.headSeq,
    horizonSeq: log.horizonSeq,
    connectedClients: c.connectedClients(),
    liveClients: c.fanOut.liveCount,
    slowConsumersDisconnected: c.fanOut.evicted,
    refusedUpgrades: Object.fromEntries(c.admission.refused),
    ...c.stats.snapshot(log.templateCounts(), log.clientCounts?.()),
    clients: c.stats.positions.list(log.headSeq),
    ...c.describe?.(),
  };
}

/** Answers one HTTP request; `remote` is the peer's address, for the refusal log. */
export type HttpRoutes = (req: Request, url: URL, remote: string | null) => Promise<Response>;

/**
 * @example
 * const routes = httpRoutes({ serverId, log, registry, admission, metrics, stats, fanOut, activity, connectedClients, snapshots, indexSnapshots, describe });
 * fetch: (req, srv) => routes(req, new URL(req.url), srv.requestIP(req)?.address ?? null)
 */
export function httpRoutes(c: HttpRoutesContext): HttpRoutes {
  const { log } = c;
  return async (req, url, remote) => {
    // The page itself: a browser navigating to it cannot send a token; its data stream needs one.
    if (req.method === "GET" && isDashboardAsset(url.pathname)) return dashboardAsset(url.pathname);
    const denied = await c.admission.guardHttp(req, url, remote);
    if (denied) return denied;
    if (req.method !== "GET") return Response.json({ error: "method not allowed" }, { status: 405 });
    switch (url.pathname) {
      case "/health":
        return Response.json(healthBody(c));
      case "/stats":
        // What this gateway acknowledged is counted in what it answers (see EventLog.readYourWrites).
        await log.readYourWrites?.();
        return Response.json(statsBody(c));
      case "/dashboard/stream":
        return c.dashboard.handle();
      case "/metrics": {
        const { body, contentType } = await c.metrics.render();
        return new Response(body, { headers: { "content-type": contentType } });
      }
      case "/templates":
        return Response.json(c.registry.current.toWire());
      case "/registry":
        return Response.json(c.registry.describe());
      case "/snapshot":
        return c.snapshots ? c.snapshots.handle(req) : Response.json({ error: "snapshots are not enabled" }, { status: 404 });
      case "/digest":
        return c.digests ? c.digests.handle(url) : Response.json({ error: "digests are not enabled" }, { status: 404 });
      case "/index-snapshot":
        return c.indexSnapshots ? c.indexSnapshots.handle() : Response.json({ error: "not found: /index-snapshot exists only with --log jetstream" }, { status: 404 });
      default: {
        if (url.pathname.startsWith("/aggregates")) await log.readYourWrites?.();
        const answer = aggregateRoute(url.pathname, log.aggregates, log.headSeq);
        if (answer !== null && answer.ok) c.activity.emit({ type: "aggregate-read", via: "http" });
        return answer ?? Response.json({ error: "not found" }, { status: 404 });
      }
    }
  };
}
