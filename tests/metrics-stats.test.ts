/**
 * GET /metrics (Prometheus text) and GET /stats of the real gateway, and DML statistics on both
 * sides: the server's per template and per client, the client's periodic report.
 */
import { describe, expect, test } from "bun:test";
import { createLogger, type DmlStatsSnapshot, type LogRecord } from "@kuzu-sync/telemetry";
import { ClientPool } from "./support/clients.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { waitForReplica } from "./support/health.ts";
import { headAfter } from "./support/log-start.ts";
import { parsePrometheusText, sampleValue, type Family } from "./support/prometheus.ts";
import { Resources } from "./support/resources.ts";
import { STRICT_TEMPLATES_PATH } from "./support/strict-templates.ts";

async function scrape(httpUrl: string): Promise<Map<string, Family>> {
  const res = await fetch(`${httpUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  return parsePrometheusText(await res.text());
}

async function stats(httpUrl: string): Promise<Record<string, any>> {
  return (await (await fetch(`${httpUrl}/stats`)).json()) as Record<string, any>;
}

describe("GET /metrics", () => {
  test("parses as Prometheus text, and its counters move as events flow", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    await pool.connect(gw.url); // a second live subscriber
    const m0 = await scrape(gw.httpUrl);
    expect(sampleValue(m0, "kuzu_sync_connected_clients")).toBe(2);
    expect(m0.get("kuzu_sync_events_appended_total")?.type).toBe("counter");
    expect(m0.get("kuzu_sync_append_ack_seconds")?.type).toBe("histogram");

    const N = 20;
    const acks = await Promise.all(Array.from({ length: N }, (_, i) => writer.executeTemplate("CREATE_USER", { id: `u${i}`, name: `n${i}` }, { id: `m-${i}` })));
    const head = Math.max(...acks.map((a) => a.seq));
    expect((await writer.executeTemplate("CREATE_USER", { id: "u0", name: "n0" }, { id: "m-0" })).duplicate).toBe(true);
    await expect(writer.executeTemplate("NOPE", {})).rejects.toMatchObject({ code: "UNKNOWN_TEMPLATE" });
    await expect(writer.executeTemplate("CREATE_USER", { id: 7 })).rejects.toMatchObject({ code: "INVALID_PARAMS" });
    await fetch(`${gw.httpUrl}/aggregates/counters`);
    await writer.getAggregate("counters");

    const m1 = await scrape(gw.httpUrl);
    const delta = (name: string, labels: Record<string, string> = {}, sample = name) => sampleValue(m1, name, labels, sample) - sampleValue(m0, name, labels, sample);
    expect(delta("kuzu_sync_events_appended_total", { template: "CREATE_USER" })).toBe(N);
    expect(delta("kuzu_sync_events_duplicate_total")).toBe(1);
    expect(delta("kuzu_sync_events_rejected_total", { code: "UNKNOWN_TEMPLATE" })).toBe(1);
    expect(delta("kuzu_sync_events_rejected_total", { code: "INVALID_PARAMS" })).toBe(1);
    // Fan-out deliveries: every event to both live sockets.
    expect(delta("kuzu_sync_fanout_deliveries_total")).toBe(2 * N);
    // Every ack (the resend too) is observed once.
    expect(delta("kuzu_sync_append_ack_seconds", {}, "kuzu_sync_append_ack_seconds_count")).toBe(N + 1);
    expect(sampleValue(m1, "kuzu_sync_append_ack_seconds", {}, "kuzu_sync_append_ack_seconds_sum")).toBeGreaterThan(0);
    expect(delta("kuzu_sync_aggregate_reads_total", { via: "http" })).toBe(1);
    expect(delta("kuzu_sync_aggregate_reads_total", { via: "socket" })).toBe(1);
    expect(sampleValue(m1, "kuzu_sync_connected_clients")).toBe(2);
    expect(head).toBe(headAfter(N)); // the log starts with the registry's genesis
    expect(sampleValue(m1, "kuzu_sync_log_head_seq")).toBe(head);
    expect(sampleValue(m1, "kuzu_sync_log_horizon_seq")).toBe(1);
    expect(sampleValue(m1, "kuzu_sync_log_events")).toBe(head);
    expect(sampleValue(m1, "kuzu_sync_log_file_bytes")).toBeGreaterThan(0);
    const applied = sampleValue(m1, "kuzu_sync_replica_applied_seq");
    expect(sampleValue(m1, "kuzu_sync_replica_apply_lag_events")).toBe(head - applied);

    // A late client replays the log: catch-up events, not fan-out.
    await pool.connect(gw.url);
    await waitForReplica(gw.httpUrl, head);
    const m2 = await scrape(gw.httpUrl);
    // Registry events are not counted: the N writes, not the genesis before them.
    expect(sampleValue(m2, "kuzu_sync_catchup_events_total") - sampleValue(m1, "kuzu_sync_catchup_events_total")).toBe(N);
    expect(sampleValue(m2, "kuzu_sync_connected_clients")).toBe(3);
    expect(sampleValue(m2, "kuzu_sync_replica_apply_lag_events")).toBe(0);
  });
});

describe("GET /stats and DML statistics", () => {
  test("totals, per template and per client (kept across restarts), head, horizon, clients, rate, and the server's DML counters", async () => {
    using dir = tempDir("stats-");
    const args = ["--templates", STRICT_TEMPLATES_PATH];
    await using started = new Resources();
    let gw = started.use(await startGatewayProcess({ dataDir: dir.path, keepDataDir: true, args }));
    await using pool = new ClientPool();
    const a = await pool.connect(gw.url, { clientId: "client-a" });
    const b = await pool.connect(gw.url, { clientId: "client-b" });
    await a.executeTemplate("ADD_ITEM", { id: "i1" });
    await a.executeTemplate("ADD_ITEM", { id: "i1" }); // fails on every replica: primary key
    await a.executeTemplate("TOUCH_ITEM", { id: "i2" });
    const { seq: head } = await b.executeTemplate("TOUCH_ITEM", { id: "i3" });
    await waitForReplica(gw.httpUrl, head);

    const s = await stats(gw.httpUrl);
    expect(head).toBe(headAfter(4));
    expect(s).toMatchObject({ headSeq: head, horizonSeq: 1, connectedClients: 2, replicaSeq: head });
    expect(s["events"]).toMatchObject({
      total: 4,
      byTemplate: { ADD_ITEM: 2, TOUCH_ITEM: 2 },
      byClient: { "client-a": 3, "client-b": 1 },
      perSecondLastMinute: 4 / 60,
    });
    const dml = s["dml"];
    // accepted: from clients; delivered: to the two live sockets; applied/failed: on the server replica.
    expect(dml.overall).toEqual({ accepted: 4, delivered: 8, applied: 3, failed: 1 });
    expect(dml.byTemplate).toEqual({
      ADD_ITEM: { accepted: 2, delivered: 4, applied: 1, failed: 1, successRate: 50 },
      TOUCH_ITEM: { accepted: 2, delivered: 4, applied: 2, failed: 0, successRate: 100 },
    });
    expect(dml.byClient["client-a"]).toEqual({
      overall: { accepted: 3, delivered: 4, applied: 2, failed: 1 },
      byTemplate: {
        ADD_ITEM: { accepted: 2, delivered: 2, applied: 1, failed: 1, successRate: 50 },
        TOUCH_ITEM: { accepted: 1, delivered: 2, applied: 1, failed: 0, successRate: 100 },
      },
    });
    expect(dml.byClient["client-b"].overall).toEqual({ accepted: 1, delivered: 4, applied: 1, failed: 0 });
    expect(dml.report).toBe(
      [
        "=== DML Statistics Report ===",
        "Overall: accepted: 4, delivered: 8, applied: 3, failed: 1",
        "Template: ADD_ITEM - accepted: 2, delivered: 4, applied: 1, success rate: 50%",
        "Template: TOUCH_ITEM - accepted: 2, delivered: 4, applied: 2, success rate: 100%",
      ].join("\n"),
    );

    // Per-template and per-client totals are kept with the log: a restart answers them at once.
    expect(await gw.stop()).toBe(0);
    gw = started.use(await startGatewayProcess({ dataDir: dir.path, keepDataDir: true, args }));
    const after = await stats(gw.httpUrl);
    expect(after["events"]).toMatchObject({ total: 4, byTemplate: { ADD_ITEM: 2, TOUCH_ITEM: 2 }, byClient: { "client-a": 3, "client-b": 1 }, byClientSinceStart: {} });
    expect(after).toMatchObject({ headSeq: head, horizonSeq: 1, connectedClients: 0 });
  });

  test("the client's periodic report (statsIntervalMs) counts what happened against a real gateway", async () => {
    await using gw = await startGatewayProcess({ args: ["--templates", STRICT_TEMPLATES_PATH] });
    await using pool = new ClientPool();
    let resolveDone!: (r: { report: string; stats: DmlStatsSnapshot }) => void;
    const done = new Promise<{ report: string; stats: DmlStatsSnapshot }>((r) => (resolveDone = r));
    const c = await pool.connect(gw.url, {
      statsIntervalMs: 50,
      onStatsReport: (report, stats) => {
        if (stats.applied + stats.failed === 3) resolveDone({ report, stats });
      },
    });
    await c.executeTemplate("ADD_ITEM", { id: "x" });
    await c.executeTemplate("ADD_ITEM", { id: "x" });
    await c.executeTemplate("TOUCH_ITEM", { id: "y" });
    const { report, stats } = await done;
    expect(stats).toEqual({ sent: 3, received: 3, applied: 2, failed: 1, clientId: c.clientId });
    expect(report).toBe(
      [
        "=== DML Statistics Report ===",
        "Overall: sent: 3, received: 3, applied: 2, failed: 1",
        "Template: ADD_ITEM - sent: 2, received: 2, applied: 1, success rate: 50%",
        "Template: TOUCH_ITEM - sent: 1, received: 1, applied: 1, success rate: 100%",
      ].join("\n"),
    );
    expect(c.formatStatsReport()).toBe(report);

    // Without onStatsReport the report is logged at info through the client's logger.
    const records: LogRecord[] = [];
    let resolveLogged!: () => void;
    const logged = new Promise<void>((r) => (resolveLogged = r));
    const logger = createLogger({
      serviceName: "sync-client",
      level: "info",
      sink: (r) => {
        records.push(r);
        if (r.body.startsWith("=== DML Statistics Report ===")) resolveLogged();
      },
    });
    const quiet = await pool.connect(gw.url, { statsIntervalMs: 50, logger });
    await logged;
    const record = records.find((r) => r.body.startsWith("=== DML Statistics Report ==="))!;
    expect(record).toMatchObject({ severityText: "INFO", attributes: { clientId: quiet.clientId } });
    expect(record.body.split("\n")[1]).toMatch(/^Overall: sent: 0, received: \d, applied: \d, failed: \d$/);
  });
});
