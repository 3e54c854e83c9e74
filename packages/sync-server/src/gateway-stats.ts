/**
 * In-memory gateway counters, so /stats never touches the log's history. DML statistics use the
 * same counters as the client (telemetry's `DmlStats`), seen from the server:
 * - `received`: events received from clients and handed to the log (resends included);
 * - `sent`: events sent to clients (live fan-out and catch-up pages);
 * - `applied` / `failed`: outcome of each event on the server replica.
 * Kept overall, per template and per client (the client that wrote the event for received, applied
 * and failed; the client it was sent to for sent). Prometheus metrics are fed from the same calls.
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { DmlStats, type DmlStatsSnapshot, type TemplateStats } from "@kuzu-sync/telemetry";
import type { GatewayMetrics } from "./metrics.ts";

/** One client's DML statistics in /stats. */
export interface ClientDmlStats {
  readonly overall: Omit<DmlStatsSnapshot, "clientId">;
  readonly byTemplate: Record<string, TemplateStats>;
}

/** Outcome of one event on the server replica. */
export interface ReplicaOutcome {
  readonly seq: number;
  readonly ok: boolean;
}

/** Counters updated as events commit, are delivered and applied, and frames are rejected. */
export class GatewayStats {
  readonly metrics: GatewayMetrics;
  readonly #dml: DmlStats;
  readonly #byClient = new Map<string, DmlStats>();
  readonly #rejected = new Map<string, number>();
  readonly #committedByClient = new Map<string, number>();
  /** Commits of the last minute, one entry per second: [second, count]. */
  readonly #recent: [number, number][] = [];
  #appendLatencyMsTotal = 0;
  #appends = 0;

  constructor(serverId: string, metrics: GatewayMetrics) {
    this.metrics = metrics;
    this.#dml = new DmlStats(serverId);
  }

  #client(clientId: string): DmlStats {
    let s = this.#byClient.get(clientId);
    if (!s) this.#byClient.set(clientId, (s = new DmlStats(clientId)));
    return s;
  }

  /** A valid event from a client, about to be appended. */
  received(template: string, clientId: string): void {
    this.#dml.record(template, "received");
    this.#client(clientId).record(template, "received");
  }

  /** The events of a commit that take effect (a `Commit`'s `effective`). */
  committed(events: readonly SequencedEvent[]): void {
    if (events.length === 0) return;
    const second = Math.floor(Date.now() / 1000);
    const last = this.#recent[this.#recent.length - 1];
    if (last && last[0] === second) last[1] += events.length;
    else this.#recent.push([second, events.length]);
    while (this.#recent.length > 0 && this.#recent[0]![0] <= second - 60) this.#recent.shift();
    const byTemplate = new Map<string, number>();
    for (const e of events) {
      this.#committedByClient.set(e.clientId, (this.#committedByClient.get(e.clientId) ?? 0) + 1);
      byTemplate.set(e.template, (byTemplate.get(e.template) ?? 0) + 1);
    }
    // One labelled increment per template and group, not per event: this runs on the commit path.
    for (const [template, n] of byTemplate) this.metrics.eventsAppended.inc({ template }, n);
  }

  /**
   * Events sent to clients. `recipients`: the client id of every socket they were written to
   * (null for sockets that have not said hello).
   */
  sent(events: readonly SequencedEvent[], recipients: readonly (string | null)[], live: boolean): void {
    if (recipients.length === 0 || events.length === 0) return;
    if (live) this.metrics.fanoutDeliveries.inc(events.length * recipients.length);
    else this.metrics.catchUpEvents.inc(events.length);
    const byTemplate = new Map<string, number>();
    for (const e of events) byTemplate.set(e.template, (byTemplate.get(e.template) ?? 0) + 1);
    for (const [template, n] of byTemplate) {
      this.#dml.record(template, "sent", n * recipients.length);
      for (const clientId of recipients) if (clientId !== null) this.#client(clientId).record(template, "sent", n);
    }
  }

  /** Outcomes of events on the server replica (`events` may hold more than `outcomes` cover). */
  replicaApplied(events: readonly SequencedEvent[], outcomes: readonly ReplicaOutcome[]): void {
    if (outcomes.length === 0) return;
    const bySeq = new Map(events.map((e) => [e.seq, e]));
    for (const o of outcomes) {
      const e = bySeq.get(o.seq);
      if (!e) continue;
      const outcome = o.ok ? "applied" : "failed";
      this.#dml.record(e.template, outcome);
      this.#client(e.clientId).record(e.template, outcome);
    }
  }

  rejected(code: string): void {
    this.#rejected.set(code, (this.#rejected.get(code) ?? 0) + 1);
    this.metrics.eventsRejected.inc({ code });
  }

  acked(latencyMs: number, duplicate: boolean): void {
    this.#appends++;
    this.#appendLatencyMsTotal += latencyMs;
    this.metrics.ackLatency.observe(latencyMs / 1000);
    if (duplicate) this.metrics.eventsDuplicate.inc();
  }

  /** The DML statistics report of the server, in the client's format. */
  formatReport(): string {
    return this.#dml.formatReport();
  }

  /**
   * /stats body. `templateCounts` and `clientCounts` come from the log (kept with it, all time);
   * without `clientCounts` the per-client counts are those committed since this process started.
   */
  snapshot(templateCounts: Record<string, number>, clientCounts?: Record<string, number>): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    const lastMinute = this.#recent.filter(([s]) => s > now - 60).reduce((sum, [, n]) => sum + n, 0);
    const { clientId: _server, ...overall } = this.#dml.getDMLStats();
    const byClient: Record<string, ClientDmlStats> = {};
    for (const [id, s] of this.#byClient) {
      const { clientId: _id, ...counts } = s.getDMLStats();
      byClient[id] = { overall: counts, byTemplate: s.getDetailedStatsByTemplate() };
    }
    return {
      events: {
        total: Object.values(templateCounts).reduce((a, b) => a + b, 0),
        byTemplate: templateCounts,
        byClient: clientCounts ?? Object.fromEntries(this.#committedByClient),
        byClientSinceStart: Object.fromEntries(this.#committedByClient),
        perSecondLastMinute: lastMinute / 60,
      },
      rejected: Object.fromEntries(this.#rejected),
      appendLatencyMsAvg: this.#appends === 0 ? 0 : this.#appendLatencyMsTotal / this.#appends,
      dml: { overall, byTemplate: this.#dml.getDetailedStatsByTemplate(), byClient, report: this.#dml.formatReport() },
    };
  }
}
