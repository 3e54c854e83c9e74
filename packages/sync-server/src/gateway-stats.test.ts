import { describe, expect, test } from "bun:test";
import { ErrorCode, type SequencedEvent } from "@kuzu-sync/protocol";
import { ActivityFeed } from "./gateway-activity.ts";
import { GatewayStats } from "./gateway-stats.ts";
import { GatewayMetrics } from "./metrics.ts";

let seq = 0;
const ev = (clientId: string, template = "CREATE_USER"): SequencedEvent => ({ id: `e${++seq}`, template, params: {}, clientId, timestamp: 0, seq, serverTimestamp: 0 });

function setup(recentClients?: number): { stats: GatewayStats; activity: ActivityFeed } {
  const metrics = new GatewayMetrics({ connectedClients: () => 0, headSeq: () => 0, horizonSeq: () => 1 });
  const stats = new GatewayStats(metrics, recentClients === undefined ? {} : { recentClients });
  const activity = new ActivityFeed();
  activity.subscribe((a) => stats.observe(a));
  return { stats, activity };
}

type Dml = { overall: Record<string, number>; byClient: Record<string, { overall: Record<string, number> }>; report: string };
const dmlOf = (stats: GatewayStats) => stats.snapshot({})["dml"] as Dml;

describe("GatewayStats", () => {
  test("counts what the activity says, in the server's words", () => {
    const { stats, activity } = setup();
    activity.emit({ type: "connected", clientId: "a", lastSeq: 0 });
    const e = ev("a");
    activity.emit({ type: "accepted", template: e.template, clientId: "a" });
    activity.emit({ type: "acked", latencyMs: 4, duplicate: false });
    activity.emit({ type: "committed", events: [e] });
    activity.emit({ type: "delivered", events: [e], recipients: ["a", "b", null], live: true });
    activity.emit({ type: "applied", events: [e], outcomes: [{ seq: e.seq, ok: false }] });
    activity.emit({ type: "rejected", code: ErrorCode.BAD_MESSAGE });
    const s = stats.snapshot({ CREATE_USER: 1 });
    expect(s).toMatchObject({ rejected: { BAD_MESSAGE: 1 }, appendLatencyMsAvg: 4, events: { total: 1, byClientSinceStart: { a: 1 } } });
    const dml = dmlOf(stats);
    expect(dml.overall).toEqual({ accepted: 1, delivered: 3, applied: 0, failed: 1 });
    expect(dml.byClient["a"]!.overall).toEqual({ accepted: 1, delivered: 1, applied: 0, failed: 1 });
    expect(dml.byClient["b"]!.overall).toEqual({ accepted: 0, delivered: 1, applied: 0, failed: 0 });
    expect(dml.report).toBe(
      ["=== DML Statistics Report ===", "Overall: accepted: 1, delivered: 3, applied: 0, failed: 1", "Template: CREATE_USER - accepted: 1, delivered: 3, applied: 0, success rate: 0%"].join("\n"),
    );
  });

  test("memory stays bounded with ever new client ids; totals stay exact and connected clients are kept", () => {
    const { stats, activity } = setup(50);
    activity.emit({ type: "connected", clientId: "steady", lastSeq: 0 });
    for (let i = 0; i < 5_000; i++) {
      const clientId = `in-memory-${i}`; // an in-memory client picks a new id every run
      const e = ev(clientId);
      activity.emit({ type: "connected", clientId, lastSeq: 0 });
      activity.emit({ type: "accepted", template: e.template, clientId });
      activity.emit({ type: "committed", events: [e] });
      activity.emit({ type: "delivered", events: [e], recipients: [clientId, "steady"], live: true });
      activity.emit({ type: "applied", events: [e], outcomes: [{ seq: e.seq, ok: true }] });
      activity.emit({ type: "disconnected", clientId });
    }
    expect(stats.clientsTracked).toBe(51);
    const dml = dmlOf(stats);
    expect(dml.overall).toEqual({ accepted: 5_000, delivered: 10_000, applied: 5_000, failed: 0 });
    expect(dml.byClient["steady"]!.overall).toEqual({ accepted: 0, delivered: 5_000, applied: 0, failed: 0 });
    expect(dml.byClient["in-memory-4999"]!.overall).toEqual({ accepted: 1, delivered: 1, applied: 1, failed: 0 });
    expect(dml.byClient["in-memory-0"]).toBeUndefined();
    expect(Object.keys(dml.byClient)).toHaveLength(51);
    expect(Object.keys((stats.snapshot({})["events"] as { byClientSinceStart: object }).byClientSinceStart)).toHaveLength(50);
  });

  test("connected clients' positions: hello seq, delivered seq, reported applied seq and lag; gone on the last disconnect", () => {
    const { stats, activity } = setup();
    activity.emit({ type: "connected", clientId: "a", lastSeq: 3 });
    activity.emit({ type: "connected", clientId: "b", lastSeq: 0 });
    const [e1, e2] = [ev("b"), ev("b")];
    activity.emit({ type: "delivered", events: [e1!, e2!], recipients: ["a", null], live: false });
    activity.emit({ type: "progress", clientId: "a", seq: e1!.seq });
    activity.emit({ type: "progress", clientId: "nobody", seq: 99 });
    const head = e2!.seq + 5;
    expect(stats.positions.list(head)).toEqual([
      expect.objectContaining({ clientId: "a", sockets: 1, helloSeq: 3, deliveredSeq: e2!.seq, appliedSeq: e1!.seq, lag: head - e1!.seq }),
      expect.objectContaining({ clientId: "b", helloSeq: 0, deliveredSeq: 0, appliedSeq: null, reportedAt: null, lag: null }),
    ]);
    activity.emit({ type: "connected", clientId: "a", lastSeq: 0 }); // a second socket of the same client
    activity.emit({ type: "disconnected", clientId: "a" });
    expect(stats.positions.list(head).map((p) => [p.clientId, p.sockets])).toEqual([["a", 1], ["b", 1]]);
    activity.emit({ type: "disconnected", clientId: "a" });
    activity.emit({ type: "disconnected", clientId: "b" });
    expect(stats.positions.size).toBe(0);
  });

  test("events per second: one count per second of the window, zeros included, ending now", () => {
    const { stats, activity } = setup();
    activity.emit({ type: "committed", events: [ev("a"), ev("a"), ev("b")] });
    const series = stats.eventsPerSecond(60);
    expect(series.counts).toHaveLength(60);
    expect(series.counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(series.counts[59]! + series.counts[58]!).toBe(3); // this second, or the one before if it just turned
    expect(stats.eventsPerSecond().counts).toHaveLength(300);
  });

  test("a listener that throws does not reach the data path", () => {
    const activity = new ActivityFeed();
    const seen: string[] = [];
    activity.subscribe(() => {
      throw new Error("boom");
    });
    activity.subscribe((a) => seen.push(a.type));
    activity.emit({ type: "rejected", code: ErrorCode.BAD_MESSAGE });
    expect(seen).toEqual(["rejected"]);
  });
});
