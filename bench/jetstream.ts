#!/usr/bin/env bun
/**
 * JetStream benchmark: acknowledged events per second, ack latency (p50/p99) and CPU per event of
 * every process, in one run on this machine:
 *
 * - baseline: nats.js publishing straight to a stream of the same configuration (`ensureStream`:
 *   file store, duplicate window, `Nats-Msg-Id` = event id, the origin header, the same payload
 *   as a gateway stores), WRITERS publishers × WINDOW in flight;
 * - the embedded log, one gateway;
 * - the JetStream log with one gateway and with two gateways sharing the stream;
 * - two gateways at half the load they just reached (paced writers): the latency at that load;
 * - with CLUSTER=1, the same on a 3-node NATS cluster with a stream of 3 replicas;
 * - with BASE=<checkout>, that checkout's gateway runs js1, js2 and embedded too, marked "(base)".
 *
 *   bun bench/jetstream.ts                        # EVENTS=20000 WARMUP=10000 WRITERS=8 WINDOW=32 ROUNDS=1
 *   EVENTS=40000 ROUNDS=3 CLUSTER=1 bun bench/jetstream.ts
 *   ONLY=nats,js1,js2 bun bench/jetstream.ts      # a subset (nats, embedded, js1, js2, half)
 *
 * Writers are bare WebSockets speaking the protocol (no local replica), spread evenly over the
 * gateways, each keeping WINDOW events in flight; latency is send → ack as the writer sees it.
 * CPU is read from /proc for the gateways and nats-server(s) and from the bench process itself,
 * over the writing phase; "to replica" adds what the gateways spend until their server replica
 * has applied everything (it follows the log in the background).
 * @module
 */
import { headers, type JetStreamClient, type JetStreamPublishOptions, type NatsConnection } from "nats";
import { encodeStreamEvent, ensureStream, logSubject } from "../packages/log/src/jetstream-stream.ts";
import { startGatewayProcess, type GatewayProcess } from "../tests/support/gateway-process.ts";
import { waitForReplica } from "../tests/support/health.ts";
import { natsClient } from "../tests/support/jetstream.ts";
import { NatsCluster, NatsServer } from "../tests/support/nats-server.ts";
import { cpuMs } from "./support/cpu-time.ts";
import { pacedWriter, percentile, windowWriter } from "./support/ws-writers.ts";

const EVENTS = Number(process.env["EVENTS"] ?? 20_000);
const WRITERS = Number(process.env["WRITERS"] ?? 8);
const WINDOW = Number(process.env["WINDOW"] ?? 32);
const ROUNDS = Number(process.env["ROUNDS"] ?? 1);
const CLUSTER = process.env["CLUSTER"] === "1";
const ONLY = process.env["ONLY"]?.split(",") ?? null;
/**
 * Events written before each measurement, on the same gateways (and publishers), not measured: a
 * fresh process spends about a third of its CPU in the first seconds compiling (JSC's JIT thread),
 * which is start-up cost, not cost per event.
 */
const WARMUP = Number(process.env["WARMUP"] ?? 10_000);
/** Counters per writer: event i of writer w increments counter `w-(i % COUNTERS)`. */
const COUNTERS = Number(process.env["COUNTERS"] ?? 1000);
/** A checkout of another commit (with its own node_modules): its gateway runs js1/js2 too, marked "(base)". */
const BASE = process.env["BASE"] ?? null;
const counterEvent = (name: string) => (i: number) => ({ template: "INCREMENT_COUNTER", params: { counterId: `${name}-${i % COUNTERS}`, amount: 1 } });
const want = (key: string) => ONLY === null || ONLY.includes(key);

interface Result {
  readonly scenario: string;
  readonly events: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU µs per event: gateways (sum) while writing, and until their replicas caught up; nats-server(s); bench process. */
  readonly cpu: { readonly gateways: number; readonly gatewaysToReplica: number; readonly nats: number; readonly bench: number };
}

/** CPU ms of each pid, and of this process, now. */
function cpuNow(pids: readonly number[]): number[] {
  return [...pids.map((p) => cpuMs(p)), cpuMs()];
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Run `work`, which acknowledges `events` events; CPU of gateways, nats nodes and this process. */
async function measure(
  scenario: string,
  gateways: readonly GatewayProcess[],
  natsPids: readonly number[],
  events: number,
  work: () => Promise<number[][]>,
  warmUp?: () => Promise<unknown>,
): Promise<Result> {
  if (warmUp) {
    await warmUp();
    for (const g of gateways) await waitForReplica(g, await headOf(g), 300_000);
  }
  const gwPids = gateways.map((g) => g.proc.pid);
  const before = cpuNow([...gwPids, ...natsPids]);
  const t0 = performance.now();
  const latencies = (await work()).flat().sort((a, b) => a - b);
  const seconds = (performance.now() - t0) / 1000;
  const after = cpuNow([...gwPids, ...natsPids]);
  const delta = after.map((v, i) => v - before[i]!);
  const us = (ms: number) => (ms * 1000) / events;
  // The server replicas follow in the background: wait for them, then read the gateways again.
  for (const g of gateways) await waitForReplica(g, (await headOf(g)), 300_000);
  const gwToReplica = gwPids.map((p, i) => cpuMs(p) - before[i]!);
  return {
    scenario,
    events: latencies.length,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpu: {
      gateways: us(sum(delta.slice(0, gwPids.length))),
      gatewaysToReplica: us(sum(gwToReplica)),
      nats: us(sum(delta.slice(gwPids.length, gwPids.length + natsPids.length))),
      bench: us(delta[delta.length - 1]!),
    },
  };
}

async function headOf(g: GatewayProcess): Promise<number> {
  return ((await (await fetch(`${g.httpUrl}/health`)).json()) as { headSeq: number }).headSeq;
}

/** WRITERS window writers spread over the gateways, `total` events in all (EVENTS by default). */
function windowLoad(scenario: string, gateways: readonly GatewayProcess[], total = EVENTS): () => Promise<number[][]> {
  const per = Math.floor(total / WRITERS);
  return () => Promise.all(Array.from({ length: WRITERS }, (_, i) => windowWriter({ url: gateways[i % gateways.length]!.url, name: `${scenario}-w${i}`, count: per, event: counterEvent(`${scenario}-w${i}`) }, WINDOW)));
}

/** WRITERS paced writers spread over the gateways, `rate` events/s in total, for about 5 s. */
function pacedLoad(scenario: string, gateways: readonly GatewayProcess[], rate: number): { events: number; work: () => Promise<number[][]> } {
  const per = Math.max(100, Math.floor((rate * 5) / WRITERS));
  return {
    events: per * WRITERS,
    work: () => Promise.all(Array.from({ length: WRITERS }, (_, i) => pacedWriter({ url: gateways[i % gateways.length]!.url, name: `${scenario}-p${i}`, count: per, event: counterEvent(`${scenario}-p${i}`) }, rate / WRITERS))),
  };
}

/** The baseline: nats.js publishing what a gateway would, WRITERS publishers × WINDOW in flight. */
async function natsBaseline(scenario: string, url: string, stream: string, replicas: number, natsPids: readonly number[]): Promise<Result> {
  await using nc = await natsClient(url);
  await ensureStream(await nc.jetstreamManager(), { name: stream, replicas });
  const js = nc.jetstream();
  const per = Math.floor(EVENTS / WRITERS);
  const warm = Math.floor(WARMUP / WRITERS);
  return await measure(
    scenario,
    [],
    natsPids,
    per * WRITERS,
    () => Promise.all(Array.from({ length: WRITERS }, (_, i) => publisher(nc, js, stream, `${scenario}-w${i}`, per))),
    () => Promise.all(Array.from({ length: WRITERS }, (_, i) => publisher(nc, js, stream, `${scenario}-warm${i}`, warm))),
  );
}

async function publisher(_nc: NatsConnection, js: JetStreamClient, stream: string, name: string, count: number): Promise<number[]> {
  const subject = logSubject(stream);
  const latencies: number[] = [];
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const event = { id: `${name}-${i}`, ...counterEvent(name)(i), clientId: name, timestamp: Date.now() };
      const h = headers();
      h.set("Kuzu-Sync-Origin", "bench-origin-0000-0000-000000000000");
      const t = performance.now();
      await js.publish(subject, encodeStreamEvent(event, Date.now()), { msgID: event.id, headers: h, timeout: 10_000 } as Partial<JetStreamPublishOptions>);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, one));
  return latencies;
}

/** info: the test launcher reads the port from the "listening" line; events are logged at debug only. */
const quiet = { LOG_LEVEL: "info" };
const noLimit = ["--rate-limit", "0"];

async function jetstreamRuns(tag: string, natsUrl: string, replicas: number, natsPids: readonly number[], round: number, out: Result[]): Promise<void> {
  const args = [...noLimit, "--log", "jetstream", "--nats-url", natsUrl, "--stream-replicas", String(replicas)];
  const events = Math.floor(EVENTS / WRITERS) * WRITERS;
  if (want("nats")) out.push(await natsBaseline(`${tag}nats.js → JetStream`, natsUrl, `BENCH_NATS_${round}`, replicas, natsPids));
  for (const [mark, main] of [["", undefined], ...(BASE === null ? [] : [[" (base)", `${BASE}/packages/sync-server/src/main.ts`]])] as [string, string | undefined][]) {
    const launch = (stream: string) => startGatewayProcess({ args: [...args, "--stream", stream], env: quiet, ...(main === undefined ? {} : { main }) });
    const key = mark === "" ? "" : "B";
    if (want("js1")) {
      await using gw = await launch(`BENCH_ONE${key}_${round}`);
      out.push(await measure(`${tag}jetstream, 1 gateway${mark}`, [gw], natsPids, events, windowLoad(`js1${key}`, [gw]), windowLoad(`js1${key}warm`, [gw], WARMUP)));
    }
    if (want("js2") || want("half")) {
      await using gw1 = await launch(`BENCH_TWO${key}_${round}`);
      await using gw2 = await launch(`BENCH_TWO${key}_${round}`);
      const two = await measure(`${tag}jetstream, 2 gateways${mark}`, [gw1, gw2], natsPids, events, windowLoad(`js2${key}`, [gw1, gw2]), windowLoad(`js2${key}warm`, [gw1, gw2], WARMUP));
      if (want("js2")) out.push(two);
      if (want("half")) {
        const rate = Math.max(100, Math.round(two.perSecond / 2));
        const paced = pacedLoad(`half${key}`, [gw1, gw2], rate);
        out.push(await measure(`${tag}jetstream, 2 gateways at ${rate}/s (half)${mark}`, [gw1, gw2], natsPids, paced.events, paced.work));
      }
    }
  }
}

const results: Result[] = [];
const load: string[] = [];
const loadNow = async () => (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
for (let round = 1; round <= ROUNDS; round++) {
  load.push(await loadNow());
  {
    await using nats = await NatsServer.start();
    await jetstreamRuns("", nats.url, 1, [nats.pid!], round, results);
  }
  if (want("embedded")) {
    for (const [mark, main] of [["", undefined], ...(BASE === null ? [] : [[" (base)", `${BASE}/packages/sync-server/src/main.ts`]])] as [string, string | undefined][]) {
      await using gw = await startGatewayProcess({ args: noLimit, env: quiet, ...(main === undefined ? {} : { main }) });
      const key = mark === "" ? "" : "B";
      results.push(await measure(`embedded, 1 gateway${mark}`, [gw], [], Math.floor(EVENTS / WRITERS) * WRITERS, windowLoad(`emb${key}`, [gw]), windowLoad(`emb${key}warm`, [gw], WARMUP)));
    }
  }
  if (CLUSTER) {
    await using cluster = await NatsCluster.start(3);
    await jetstreamRuns("R3 cluster: ", cluster.urls, 3, cluster.nodes.map((n) => n.pid!), round, results);
  }
}
load.push(await loadNow());

console.log(`EVENTS=${EVENTS} WARMUP=${WARMUP} WRITERS=${WRITERS} WINDOW=${WINDOW} COUNTERS=${COUNTERS} ROUNDS=${ROUNDS} (bun ${Bun.version}, ${navigator.hardwareConcurrency} cores; load average ${load.join(" → ")})`);
console.log("| scenario | acked events/s | p50 ms | p99 ms | CPU µs/event: gateways | gateways to replica | nats-server | bench |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
for (const r of results) {
  console.log(
    `| ${r.scenario} | ${fmt(r.perSecond)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpu.gateways.toFixed(0)} | ${r.cpu.gatewaysToReplica.toFixed(0)} | ${r.cpu.nats.toFixed(0)} | ${r.cpu.bench.toFixed(0)} |`,
  );
}
// Ratios within each round (the machine is shared: only same-run ratios mean much).
const perRound = results.length / ROUNDS;
for (let round = 0; round < ROUNDS; round++) {
  const rs = results.slice(round * perRound, (round + 1) * perRound);
  const find = (s: string) => rs.find((r) => r.scenario === s)?.perSecond;
  const ratios: string[] = [];
  for (const tag of ["", "R3 cluster: "]) {
    for (const mark of ["", " (base)"]) {
      const base = find(`${tag}nats.js → JetStream`);
      const one = find(`${tag}jetstream, 1 gateway${mark}`);
      const two = find(`${tag}jetstream, 2 gateways${mark}`);
      if (base && one) ratios.push(`${tag}1 gateway${mark} / nats.js = ${(one / base).toFixed(2)}`);
      if (one && two) ratios.push(`${tag}2 gateways${mark} / 1 gateway = ${(two / one).toFixed(2)}`);
    }
  }
  const emb = find("embedded, 1 gateway");
  const embBase = find("embedded, 1 gateway (base)");
  if (emb && embBase) ratios.push(`embedded / embedded (base) = ${(emb / embBase).toFixed(2)}`);
  if (ratios.length > 0) console.log(`round ${round + 1}: ${ratios.join("; ")}`);
}
