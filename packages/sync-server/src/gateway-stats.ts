/**
 * In-memory gateway counters, so /stats never touches the log's history, and the Prometheus
 * counters: both are kept by listening to the gateway's activity (`gateway-activity.ts`). DML
 * statistics (`dml-counters.ts`: accepted, delivered, applied, failed) are kept overall, per
 * template and per client (the client that wrote the event for accepted, applied and failed; the
 * client it was delivered to for delivered).
 *
 * Per-client entries are bounded: those of connected clients, plus the `recentClients` most
 * recently active others (default 1000). Totals and per-template counts stay exact.
 * @module
 */
import { REGISTRY_TEMPLATE, type SequencedEvent } from "@kuzu-sync/protocol";
import { ClientPositions } from "./client-positions.ts";
import { ClientTable } from "./client-table.ts";
import { DmlCounters, type DmlCounts, type TemplateDmlCounts } from "./dml-counters.ts";
import type { GatewayActivity, ReplicaOutcome } from "./gateway-activity.ts";
import type { GatewayMetrics } from "./metrics.ts";

/** Clients not connected whose counts are kept (the most recently active ones). */
export const DEFAULT_RECENT_CLIENTS = 1_000;

/** Seconds of the events-per-second series (the dashboard's chart). */
export const SERIES_SECONDS = 300;

/** Events committed in each of the last seconds: `counts[i]` is second `until - counts.length + 1 + i`. */
export interface EventRateSeries {
  /** The last second of the series (seconds since epoch). */
  readonly until: number;
  readonly counts: readonly number[];
}

/** One client's DML statistics in /stats. */
export interface ClientDmlStats {
  readonly overall: DmlCounts;
  readonly byTemplate: Record<string, TemplateDmlCounts>;
}

/** What is kept per client. */
interface ClientEntry {
  readonly dml: DmlCounters;
  /** Events it wrote that committed since this process started. */
  committed: number;
}

/**
 * @example
 * const stats = new GatewayStats(metrics);
 * activity.subscribe((a) => stats.observe(a));
 * Response.json(stats.snapshot(log.templateCounts(), log.clientCounts()));
 */
export class GatewayStats {
  readonly metrics: GatewayMetrics;
  readonly #dml = new DmlCounters();
  readonly #clients: ClientTable<ClientEntry>;
  readonly #rejected = new Map<string, number>();
  /** Where each connected client is (hello, delivered, reported applied seq). */
  readonly positions = new ClientPositions();
  /** Commits of the last {@link SERIES_SECONDS} seconds, one entry per second that had any: [second, count]. */
  readonly #recent: [number, number][] = [];
  #appendLatencyMsTotal = 0;
  #appends = 0;

  constructor(metrics: GatewayMetrics, options: { readonly recentClients?: number } = {}) {
    this.metrics = metrics;
    this.#clients = new ClientTable(options.recentClients ?? DEFAULT_RECENT_CLIENTS, () => ({ dml: new DmlCounters(), committed: 0 }));
  }

  /** Per-client entries held now (connected clients + recent ones): bounded. */
  get clientsTracked(): number {
    return this.#clients.size;
  }

  /** The one listener: every activity of the gateway comes through here. */
  observe(activity: GatewayActivity): void {
    switch (activity.type) {
      case "connected":
        this.positions.connected(activity.clientId, activity.lastSeq);
        return this.#clients.connect(activity.clientId);
      case "disconnected":
        this.positions.disconnected(activity.clientId);
        return this.#clients.disconnect(activity.clientId);
      case "progress":
        return this.positions.reported(activity.clientId, activity.seq);
      case "accepted":
        this.#dml.record(activity.template, "accepted");
        return this.#clients.get(activity.clientId).dml.record(activity.template, "accepted");
      case "acked":
        return this.#acked(activity.latencyMs, activity.duplicate);
      case "rejected":
        this.#rejected.set(activity.code, (this.#rejected.get(activity.code) ?? 0) + 1);
        return this.metrics.eventsRejected.inc({ code: activity.code });
      // Registry events (docs/PROTOCOL.md §10) are not DML: they are left out of every count.
      case "committed":
        return this.#committed(dml(activity.events));
      case "delivered":
        return this.#delivered(dml(activity.events), activity.recipients, activity.live);
      case "applied":
        return this.#applied(dml(activity.events), activity.outcomes);
      case "aggregate-read":
        return this.metrics.aggregateReads.inc({ via: activity.via });
    }
  }

  /**
   * Events committed per second over the last `seconds` (at most {@link SERIES_SECONDS}), zeros
   * included, ending with the current second.
   * @example stats.eventsPerSecond(60).counts.reduce((a, b) => a + b, 0); // events in the last minute
   */
  eventsPerSecond(seconds = SERIES_SECONDS): EventRateSeries {
    const until = Math.floor(Date.now() / 1000);
    const n = Math.min(seconds, SERIES_SECONDS);
    const counts = new Array<number>(n).fill(0);
    for (const [second, count] of this.#recent) {
      const i = second - (until - n + 1);
      if (i >= 0 && i < n) counts[i] = count;
    }
    return { until, counts };
  }

  /** The DML statistics report of the server. */
  formatReport(): string {
    return this.#dml.report();
  }

  /**
   * /stats body. `templateCounts` and `clientCounts` come from the log (kept with it, all time);
   * without `clientCounts` the per-client counts are those committed since this process started.
   */
  snapshot(templateCounts: Record<string, number>, clientCounts?: Record<string, number>): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    const lastMinute = this.#recent.filter(([s]) => s > now - 60).reduce((sum, [, n]) => sum + n, 0);
    const byClient: Record<string, ClientDmlStats> = {};
    const sinceStart: Record<string, number> = {};
    for (const [id, entry] of this.#clients.entries()) {
      const overall = entry.dml.overall();
      // A client seen only connecting (or committing through another gateway) has nothing to show yet.
      if (overall.accepted + overall.delivered + overall.applied + overall.failed > 0) byClient[id] = { overall, byTemplate: entry.dml.byTemplate() };
      if (entry.committed > 0) sinceStart[id] = entry.committed;
    }
    return {
      events: {
        total: Object.values(templateCounts).reduce((a, b) => a + b, 0),
        byTemplate: templateCounts,
        byClient: clientCounts ?? sinceStart,
        byClientSinceStart: sinceStart,
        perSecondLastMinute: lastMinute / 60,
      },
      rejected: Object.fromEntries(this.#rejected),
      appendLatencyMsAvg: this.#appends === 0 ? 0 : this.#appendLatencyMsTotal / this.#appends,
      dml: { overall: this.#dml.overall(), byTemplate: this.#dml.byTemplate(), byClient, report: this.#dml.report() },
    };
  }

  #acked(latencyMs: number, duplicate: boolean): void {
    this.#appends++;
    this.#appendLatencyMsTotal += latencyMs;
    this.metrics.ackLatency.observe(latencyMs / 1000);
    if (duplicate) this.metrics.eventsDuplicate.inc();
  }

  #committed(events: readonly SequencedEvent[]): void {
    if (events.length === 0) return;
    const second = Math.floor(Date.now() / 1000);
    const last = this.#recent[this.#recent.length - 1];
    if (last && last[0] === second) last[1] += events.length;
    else this.#recent.push([second, events.length]);
    while (this.#recent.length > 0 && this.#recent[0]![0] <= second - SERIES_SECONDS) this.#recent.shift();
    const byTemplate = new Map<string, number>();
    for (const e of events) {
      this.#clients.get(e.clientId).committed++;
      byTemplate.set(e.template, (byTemplate.get(e.template) ?? 0) + 1);
    }
    // One labelled increment per template and group, not per event: this runs on the commit path.
    for (const [template, n] of byTemplate) this.metrics.eventsAppended.inc({ template }, n);
  }

  #delivered(events: readonly SequencedEvent[], recipients: readonly (string | null)[], live: boolean): void {
    if (recipients.length === 0 || events.length === 0) return;
    this.positions.delivered(recipients, events[events.length - 1]!.seq);
    if (live) this.metrics.fanoutDeliveries.inc(events.length * recipients.length);
    else this.metrics.catchUpEvents.inc(events.length);
    const byTemplate = new Map<string, number>();
    for (const e of events) byTemplate.set(e.template, (byTemplate.get(e.template) ?? 0) + 1);
    for (const [template, n] of byTemplate) {
      this.#dml.record(template, "delivered", n * recipients.length);
      for (const clientId of recipients) if (clientId !== null) this.#clients.get(clientId).dml.record(template, "delivered", n);
    }
  }

  /** Outcomes on the server replica (`events` may hold more than `outcomes` cover). */
  #applied(events: readonly SequencedEvent[], outcomes: readonly ReplicaOutcome[]): void {
    if (outcomes.length === 0) return;
    const bySeq = new Map(events.map((e) => [e.seq, e]));
    for (const o of outcomes) {
      const e = bySeq.get(o.seq);
      if (!e) continue;
      const outcome = o.ok ? "applied" : "failed";
      this.#dml.record(e.template, outcome);
      this.#clients.get(e.clientId).dml.record(e.template, outcome);
    }
  }
}

/** The events that count as DML: all but registry events. */
function dml(events: readonly SequencedEvent[]): readonly SequencedEvent[] {
  return events.some((e) => e.template === REGISTRY_TEMPLATE) ? events.filter((e) => e.template !== REGISTRY_TEMPLATE) : events;
}
