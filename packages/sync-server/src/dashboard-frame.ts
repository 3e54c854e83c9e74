/**
 * What the dashboard shows each second, built from the same functions as `GET /health` and
 * `GET /stats` (so the page and those endpoints always agree), without the per-client DML tables
 * of /stats, plus the events-per-second series of the last five minutes and the aggregates.
 * @module
 */
import type { AggregateReader } from "@kuzu-sync/log";
import type { ClientPosition } from "./client-positions.ts";
import type { EventRateSeries } from "./gateway-stats.ts";
import { healthBody, statsBody, type ReportContext } from "./http-routes.ts";

/** Connected clients listed in a frame (the most behind first); the count covers all of them. */
const LISTED_CLIENTS = 50;
/** Aggregates with more groups than this show no ranking (sorting them every second costs too much). */
const RANKED_GROUPS_MAX = 10_000;

export interface AggregateSummary {
  readonly name: string;
  readonly kind: string;
  readonly fromSeq: number;
  readonly groups: number;
  /** Sum over all groups, and the five largest groups; null above {@link RANKED_GROUPS_MAX} groups. */
  readonly total: number | null;
  readonly top: readonly (readonly [string, number])[] | null;
}

export interface DashboardFrame {
  /** When the frame was built (ms since epoch). */
  readonly at: number;
  /** Exactly the body of GET /health at that moment. */
  readonly health: Record<string, unknown>;
  /** The body of GET /stats at that moment, without `dml.byClient`, `dml.report`, `events.byClient*` and `clients`. */
  readonly stats: Record<string, unknown>;
  readonly clients: { readonly connected: number; readonly listed: readonly ClientPosition[] };
  readonly rate: EventRateSeries;
  readonly aggregates: readonly AggregateSummary[];
}

interface StatsShape {
  readonly events: { readonly total: number; readonly byTemplate: Record<string, number>; readonly perSecondLastMinute: number };
  readonly dml: { readonly overall: unknown; readonly byTemplate: unknown };
  readonly clients: readonly ClientPosition[];
}

/**
 * @example const feed = new DashboardFeed(() => dashboardFrame(context));
 */
export function dashboardFrame(c: ReportContext): DashboardFrame {
  const health = healthBody(c);
  const { events, dml, clients, ...rest } = statsBody(c) as unknown as StatsShape & Record<string, unknown>;
  return {
    at: Date.now(),
    health,
    stats: {
      ...rest,
      events: { total: events.total, byTemplate: events.byTemplate, perSecondLastMinute: events.perSecondLastMinute },
      dml: { overall: dml.overall, byTemplate: dml.byTemplate },
    },
    clients: { connected: c.stats.positions.size, listed: clients.slice(0, LISTED_CLIENTS) },
    rate: c.stats.eventsPerSecond(),
    aggregates: summarize(c.log.aggregates),
  };
}

function summarize(reader: AggregateReader | undefined): AggregateSummary[] {
  if (reader === undefined) return [];
  return reader.list().map((info) => {
    const base = { name: info.name, kind: info.kind, fromSeq: info.fromSeq, groups: info.groups };
    const values = info.groups <= RANKED_GROUPS_MAX ? reader.values(info.name) : null;
    if (values === null) return { ...base, total: null, top: null };
    let total = 0;
    for (const v of values.values()) total += v;
    const top = [...values].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5);
    return { ...base, total, top };
  });
}
