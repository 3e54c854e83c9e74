/**
 * Aggregates, /stats counts and /metrics of gateways sharing a JetStream stream (real nats-server,
 * real gateway processes, real clients): exact and identical on every gateway, across a SIGKILL,
 * untouched by resends and duplicate slots, and honest about events the stream no longer holds.
 */
import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { headers } from "nats";
import type { SyncClient } from "@kuzu-sync/client";
import { logSubject } from "@kuzu-sync/log";
import { fromGraph, httpValues, writeMix, type MixResult } from "./support/aggregate-mix.ts";
import { ClientPool } from "./support/clients.ts";
import { startGatewayProcess, tempDir, type GatewayProcess } from "./support/gateway-process.ts";
import { waitForHead, waitForReplica } from "./support/health.ts";
import { getJson, natsClient } from "./support/jetstream.ts";
import { FIRST_CLIENT_SEQ, GENESIS_SEQ } from "./support/log-start.ts";
import { NatsServer } from "./support/nats-server.ts";
import { parsePrometheusText, sampleValue, type Family } from "./support/prometheus.ts";
import { Resources } from "./support/resources.ts";

// Real nats-server and gateway processes (bunfig has no test timeout setting).
setDefaultTimeout(60_000);

const STREAM = "KUZU_SYNC_EVENTS";

interface Stats {
  headSeq: number;
  countsFromSeq?: number;
  events: { total: number; byTemplate: Record<string, number>; byClient: Record<string, number> };
}

async function metrics(gw: GatewayProcess): Promise<Map<string, Family>> {
  return parsePrometheusText(await (await fetch(`${gw.httpUrl}/metrics`)).text());
}

/** Sum of a counter over all its label values. */
function total(families: ReadonlyMap<string, Family>, name: string): number {
  const family = families.get(name);
  if (!family) throw new Error(`no metric family ${name}`);
  return family.samples.reduce((sum, s) => sum + s.value, 0);
}

/**
 * Every gateway answers the same, and what the graph says: aggregates over HTTP and the socket,
 * per-template and per-client counts in /stats. `readers[i]` is a client of `gateways[i]` that has
 * applied `head` (so that gateway has consumed it).
 */
async function expectExactEverywhere(gateways: readonly GatewayProcess[], readers: readonly SyncClient[], head: number, written: Pick<MixResult, "byTemplate" | "byClient">): Promise<void> {
  for (const r of readers) await r.waitForSeq(head);
  const expected = await fromGraph(readers[0]!);
  expect(Object.keys(expected.counters).length).toBeGreaterThan(0);
  expect(Object.keys(expected.postsByAuthor).length).toBeGreaterThan(0);
  for (const [i, gw] of gateways.entries()) {
    expect(await fromGraph(readers[i]!)).toEqual(expected);
    expect(await httpValues(gw.httpUrl, "counters")).toEqual({ name: "counters", seq: head, fromSeq: 1, values: expected.counters });
    expect(await httpValues(gw.httpUrl, "postsByAuthor")).toEqual({ name: "postsByAuthor", seq: head, fromSeq: 1, values: expected.postsByAuthor });
    expect(await readers[i]!.getAggregate("counters")).toEqual(expected.counters);
    expect(await readers[i]!.getAggregate("postsByAuthor", "u1")).toBe(expected.postsByAuthor["u1"] ?? null);
    const stats = await getJson<Stats>(gw.httpUrl, "/stats");
    expect(stats.headSeq).toBe(head);
    expect(stats.countsFromSeq).toBe(1);
    expect(stats.events.byTemplate).toEqual(written.byTemplate);
    expect(stats.events.byClient).toEqual(written.byClient);
    expect(stats.events.total).toBe(Object.values(written.byTemplate).reduce((a, b) => a + b, 0));
  }
}

function add(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
}

describe("aggregates and counts on gateways sharing a JetStream stream", () => {
  test("concurrent writers on two gateways: identical exact answers; a duplicate slot counts nothing; /metrics moves", async () => {
    await using nats = await NatsServer.start();
    const args = ["--log", "jetstream", "--nats-url", nats.url];
    await using gw1 = await startGatewayProcess({ args });
    await using gw2 = await startGatewayProcess({ args });
    await using pool = new ClientPool();
    const writers = await Promise.all([gw1, gw1, gw2, gw2].map((gw) => pool.connect(gw.url)));
    const readers = await Promise.all([gw1, gw2].map((gw) => pool.connect(gw.url)));
    const mix = await writeMix(writers, 40, 7);
    await expectExactEverywhere([gw1, gw2], readers, mix.head, mix);

    // The same id stored again past JetStream's duplicate window (a different Nats-Msg-Id stands
    // in for the expired window): a duplicate slot, which no gateway counts.
    const writer = writers[0]!;
    const event = { id: "stored-twice", template: "INCREMENT_COUNTER", params: { counterId: "c1", amount: 1000 }, clientId: writer.clientId, timestamp: Date.now() };
    const { seq } = await writer.executeTemplate(event.template, event.params, { id: event.id });
    await using nc = await natsClient(nats.url);
    const h = headers();
    h.set("Kuzu-Sync-Origin", "another-gateway");
    const slot = await nc.jetstream().publish(logSubject(STREAM), JSON.stringify({ ...event, serverTimestamp: Date.now() }), { msgID: "window-expired", headers: h });
    expect(slot.seq).toBe(seq + 1);
    const once = { byTemplate: add(mix.byTemplate, { INCREMENT_COUNTER: 1 }), byClient: add(mix.byClient, { [writer.clientId]: 1 }) };
    await expectExactEverywhere([gw1, gw2], readers, slot.seq, once);
    // A resend through a gateway is acknowledged with the first seq and changes nothing either.
    expect(await writers[3]!.executeTemplate(event.template, event.params, { id: event.id })).toMatchObject({ seq, duplicate: true });
    await expectExactEverywhere([gw1, gw2], readers, slot.seq, once);

    for (const gw of [gw1, gw2]) {
      const m = await metrics(gw);
      // Every gateway consumes every event: the appended counter is the same on both, slot excluded.
      expect(total(m, "kuzu_sync_events_appended_total")).toBe(Object.values(once.byTemplate).reduce((a, b) => a + b, 0));
      expect(sampleValue(m, "kuzu_sync_log_head_seq")).toBe(slot.seq);
      expect(sampleValue(m, "kuzu_sync_log_events")).toBe(slot.seq);
      expect(sampleValue(m, "kuzu_sync_fanout_deliveries_total")).toBeGreaterThan(0);
      expect(sampleValue(m, "kuzu_sync_aggregate_reads_total", { via: "http" })).toBeGreaterThan(0);
      expect(sampleValue(m, "kuzu_sync_aggregate_reads_total", { via: "socket" })).toBeGreaterThan(0);
      expect(sampleValue(m, "kuzu_sync_log_file_bytes")).toBeGreaterThan(0);
      expect(m.has("kuzu_sync_stream_bytes")).toBe(true);
      expect(m.has("kuzu_sync_stream_last_seq")).toBe(true);
    }
    // Resends are acked by the gateway they reach: writeMix resent through both.
    for (const gw of [gw1, gw2]) expect(sampleValue(await metrics(gw), "kuzu_sync_events_duplicate_total")).toBeGreaterThan(0);
  });

  test("a gateway SIGKILLed while consuming and restarted: no double count, no loss", async () => {
    await using nats = await NatsServer.start();
    using dir = tempDir();
    const args = ["--log", "jetstream", "--nats-url", nats.url];
    await using gw1 = await startGatewayProcess({ args });
    await using started = new Resources();
    let gw2 = started.use(await startGatewayProcess({ args, dataDir: dir.path, keepDataDir: true }));
    await using pool = new ClientPool();
    const writers = await Promise.all([gw1, gw1, gw2].map((gw) => pool.connect(gw.url)));
    const watcher = await pool.connect(gw2.url);
    const first = await writeMix(writers, 30, 11);
    // More writes while gw2 is killed in the middle of consuming them; its writer resends.
    const running = writeMix(writers, 60, 12);
    await watcher.waitForSeq(first.head + 20);
    await gw2.kill();
    gw2 = started.use(await startGatewayProcess({ args, dataDir: dir.path, port: gw2.port, keepDataDir: true }));
    const second = await running;
    const readers = await Promise.all([gw1, gw2].map((gw) => pool.connect(gw.url)));
    const written = { byTemplate: add(first.byTemplate, second.byTemplate), byClient: add(first.byClient, second.byClient) };
    await expectExactEverywhere([gw1, gw2], readers, Math.max(first.head, second.head), written);
  });

  test("a gateway whose index is behind the stream's first seq says what its counts cover", async () => {
    await using nats = await NatsServer.start();
    const args = ["--log", "jetstream", "--nats-url", nats.url];
    await using gw1 = await startGatewayProcess({ args });
    using dir = tempDir("gateway-index-lost-");
    await using late1 = await startGatewayProcess({ args, dataDir: dir.path });
    await using pool = new ClientPool();
    const writer = await pool.connect(gw1.url);
    let seq = 0;
    for (let i = 1; i <= 20; i++) seq = (await writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: i })).seq;
    await waitForHead(late1, seq);
    await waitForReplica(late1, seq); // the replica that survives has everything the stream will lose
    expect(await late1.stop()).toBe(0);
    // Its id index is lost (say, a restore of the data directory without it) while its server
    // replica survives, and the stream loses the registry's genesis and the first 10 writes
    // meanwhile: the replica can go on from the stream, the counts and aggregates cannot be rebuilt.
    rmSync(join(dir.path, "jetstream-index.sqlite"), { force: true });
    await using nc = await natsClient(nats.url);
    const kept = FIRST_CLIENT_SEQ + 10; // the 11th write: keeps writes 11..20
    await (await nc.jetstreamManager()).streams.purge(STREAM, { seq: kept });

    await using late = await startGatewayProcess({ args, dataDir: dir.path });
    seq = (await writer.executeTemplate("INCREMENT_COUNTER", { counterId: "c", amount: 100 })).seq;
    await waitForHead(late, seq);
    // The late gateway cannot know the purged seqs any more: it counts from the first it read and says so, instead of a wrong sum.
    expect(await httpValues(late.httpUrl, "counters")).toEqual({ name: "counters", seq, fromSeq: kept, values: { c: 100 + (11 + 20) * 5 } });
    const stats = await getJson<Stats>(late.httpUrl, "/stats");
    expect(stats.countsFromSeq).toBe(kept);
    expect(stats.events.byTemplate).toEqual({ INCREMENT_COUNTER: 11 });
    // The gateway that saw everything still answers for all of it.
    expect(await httpValues(gw1.httpUrl, "counters")).toEqual({ name: "counters", seq, fromSeq: GENESIS_SEQ, values: { c: 100 + 210 } });
    expect((await getJson<Stats>(gw1.httpUrl, "/stats")).countsFromSeq).toBe(GENESIS_SEQ);
  });
});
