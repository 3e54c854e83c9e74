/**
 * Prometheus metrics of a gateway (`GET /metrics`, text exposition format, through prom-client).
 * Counters move as events flow; gauges are read from their sources when scraped, so a scrape costs
 * the same whatever the size of the log.
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Where the gauges read their values at scrape time. Absent sources leave their gauge out. */
export interface MetricSources {
  connectedClients(): number;
  headSeq(): number;
  horizonSeq(): number;
  /** Seq the server replica has applied. */
  replicaSeq?(): number;
  /** Bytes of the log's files on disk (SQLite file and its WAL; the local index in JetStream mode). */
  logFileBytes?(): number;
  /** JetStream mode: the shared stream's last seq and size, as of its last stream info. */
  stream?(): { readonly lastSeq: number; readonly bytes: number };
}

const PREFIX = "kuzu_sync_";

/**
 * @example
 * const metrics = new GatewayMetrics({ connectedClients: () => sockets.size, headSeq: () => log.headSeq, horizonSeq: () => log.horizonSeq });
 * metrics.eventsAppended.inc({ template: "CREATE_USER" });
 * new Response(await metrics.registry.metrics(), { headers: { "content-type": metrics.registry.contentType } });
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  /** New events made durable (duplicates excluded), by template. */
  readonly eventsAppended: Counter<"template">;
  /** Resends of a known event id, answered with the original seq. */
  readonly eventsDuplicate: Counter;
  /** Frames and events refused, by error code. */
  readonly eventsRejected: Counter<"code">;
  /**
   * Events written to subscribed sockets by live fan-out: each commit group counts its events
   * times the sockets subscribed when it was published.
   */
  readonly fanoutDeliveries: Counter;
  /** Events sent in catch-up pages (replay from the log). */
  readonly catchUpEvents: Counter;
  /** From an event frame's arrival to its ack being sent (durable), in seconds. */
  readonly ackLatency: Histogram;
  /** Aggregate reads, over HTTP and over the socket. */
  readonly aggregateReads: Counter<"via">;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    this.eventsAppended = new Counter({ name: `${PREFIX}events_appended_total`, help: "Events appended to the log (new ids only)", labelNames: ["template"], registers });
    this.eventsDuplicate = new Counter({ name: `${PREFIX}events_duplicate_total`, help: "Resent events acknowledged with their original seq", registers });
    this.eventsRejected = new Counter({ name: `${PREFIX}events_rejected_total`, help: "Events and frames rejected, by error code", labelNames: ["code"], registers });
    this.fanoutDeliveries = new Counter({
      name: `${PREFIX}fanout_deliveries_total`,
      help: "Events delivered by live fan-out: events of each commit group times subscribed sockets",
      registers,
    });
    this.catchUpEvents = new Counter({ name: `${PREFIX}catchup_events_total`, help: "Events sent in catch-up pages", registers });
    this.ackLatency = new Histogram({
      name: `${PREFIX}append_ack_seconds`,
      help: "Time from an event frame's arrival to its ack (event durable)",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.aggregateReads = new Counter({ name: `${PREFIX}aggregate_reads_total`, help: "Aggregate reads answered", labelNames: ["via"], registers });
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name: `${PREFIX}${name}`,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    gauge("connected_clients", "Open WebSocket connections", () => sources.connectedClients());
    gauge("log_head_seq", "Highest committed seq", () => sources.headSeq());
    gauge("log_horizon_seq", "First seq still in the hot log (archive horizon)", () => sources.horizonSeq());
    gauge("log_events", "Events held in the hot log (head - horizon + 1)", () => Math.max(0, sources.headSeq() - sources.horizonSeq() + 1));
    const { replicaSeq, logFileBytes, stream } = sources;
    if (replicaSeq) {
      gauge("replica_applied_seq", "Seq applied by the server replica", () => replicaSeq());
      gauge("replica_apply_lag_events", "Committed events the server replica has not applied yet (head - applied)", () => Math.max(0, sources.headSeq() - replicaSeq()));
    }
    if (logFileBytes) gauge("log_file_bytes", "Bytes of the event log on disk (the local index in JetStream mode)", () => logFileBytes());
    if (stream) {
      gauge("stream_last_seq", "Last seq of the shared JetStream stream (refreshed every 10 s)", () => stream().lastSeq);
      gauge("stream_bytes", "Bytes held by the shared JetStream stream (refreshed every 10 s)", () => stream().bytes);
    }
    gauge("process_resident_memory_bytes", "Resident memory of the gateway process", () => process.memoryUsage.rss());
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
