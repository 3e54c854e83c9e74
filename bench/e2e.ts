#!/usr/bin/env bun
/**
 * End-to-end benchmark: one writer pipelines N events through a real gateway process (embedded
 * log, fsync per group) to a replica client. Baselines from the same run: a raw Bun WebSocket relay
 * and direct Kuzu apply (batched, and naive one statement per event).
 *
 *   bun run bench                      # 50k events
 *   bun bench/e2e.ts --events 200000
 * @module
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createSyncClient } from "@kuzu-sync/client";
import { startGatewayProcess } from "../tests/support/gateway-process.ts";
import { waitForReplica } from "../tests/support/health.ts";
import { cpuMs } from "./support/cpu-time.ts";
import { directBatchedRate, naiveRate } from "./support/kuzu-baselines.ts";

const { values } = parseArgs({ options: { events: { type: "string", default: "50000" }, naive: { type: "string", default: "3000" } } });
const N = Number(values.events);
const NAIVE_N = Math.min(N, Number(values.naive));

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const rows = Array.from({ length: N }, (_, i) => ({ id: `user-${i}`, name: `User number ${i}`, email: `user${i}@example.com` as string | null }));

/**
 * The writer speaks the wire protocol directly (hello, then pipelined `event` frames): a SyncClient
 * would also keep a replica of its own, and a third Kuzu instance on a 2-core machine would measure
 * CPU contention rather than the sync path.
 */
async function gatewayRun(): Promise<{
  acked: number;
  applied: number;
  catchUp: number;
  p50: number;
  p99: number;
  frameBytes: number;
  gatewayCpuUs: number;
  benchCpuUs: number;
}> {
  // One connection pipelines N events: far past the default per-connection rate limit.
  await using gw = await startGatewayProcess({ args: ["--rate-limit", "0"] });
  const reader = createSyncClient(gw.url, { statsIntervalMs: 0 });
  let writer: WebSocket | null = null;
  try {
    await reader.connect();
    writer = new WebSocket(gw.url);
    const w = writer;
    await new Promise<void>((ok, fail) => ((w.onopen = () => ok()), (w.onerror = () => fail(new Error("writer cannot connect")))));
    w.send(JSON.stringify({ type: "hello", clientId: "bench-writer", lastSeq: 0 }));
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    let lastApplied = 0;
    const allApplied = new Promise<void>((done) =>
      reader.on("event", (e) => {
        const t = sentAt.get(e.id);
        if (t !== undefined) latencies.push(performance.now() - t);
        if (latencies.length === N) {
          lastApplied = performance.now();
          done();
        }
      }),
    );
    let acks = 0;
    let ackedAt = 0;
    const allAcked = new Promise<void>((done, fail) => {
      w.onmessage = (m) => {
        const msg = JSON.parse(String(m.data)) as { type: string; code?: string };
        if (msg.type === "ack" && ++acks === N) (ackedAt = performance.now()), done();
        else if (msg.type === "reject" || msg.type === "error") fail(new Error(`gateway said ${msg.type} ${msg.code}`));
      };
    });
    const frames = rows.map((params, i) =>
      JSON.stringify({ type: "event", event: { id: `bench-${i}`, template: "CREATE_USER", params, clientId: "bench-writer", timestamp: Date.now() } }),
    );
    const gatewayCpu0 = cpuMs(gw.proc.pid);
    const benchCpu0 = cpuMs();
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      sentAt.set(`bench-${i}`, performance.now());
      w.send(frames[i]!);
    }
    await allAcked;
    await allApplied;
    // The gateway's server replica may still be applying: its share counts too.
    await waitForReplica(gw.httpUrl, N, 120_000);
    const gatewayCpuUs = ((cpuMs(gw.proc.pid) - gatewayCpu0) * 1000) / N;
    const benchCpuUs = ((cpuMs() - benchCpu0) * 1000) / N;
    latencies.sort((a, b) => a - b);
    // Catch-up: a new replica client joins the now idle gateway and applies the whole history.
    // Here the replica is the bottleneck, not the gateway or the CPU it shares with it.
    // useSnapshots: false: this measures replay, not a snapshot bootstrap (bench/snapshot.ts does).
    const newcomer = createSyncClient(gw.url, { statsIntervalMs: 0, useSnapshots: false });
    const c0 = performance.now();
    await newcomer.connect();
    const catchUp = N / ((performance.now() - c0) / 1000);
    if (newcomer.lastAppliedSeq < N) throw new Error(`catch-up ended at seq ${newcomer.lastAppliedSeq}`);
    await newcomer.close();
    return {
      acked: N / ((ackedAt - t0) / 1000),
      applied: N / ((lastApplied - t0) / 1000),
      catchUp,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      frameBytes: frames[0]!.length,
      gatewayCpuUs,
      benchCpuUs,
    };
  } finally {
    writer?.close();
    await reader.close();
  }
}

/** Frames/s through the minimal Bun relay (separate process, like the gateway). */
async function relayRun(frameBytes: number): Promise<number> {
  const server = Bun.spawn(["bun", resolve(import.meta.dir, "support/relay-server.ts")], { stdout: "pipe", stderr: "inherit" });
  try {
    const { value } = await server.stdout.getReader().read();
    const url = `ws://127.0.0.1:${Number(new TextDecoder().decode(value).trim())}`;
    const open = (u: string) =>
      new Promise<WebSocket>((ok, fail) => {
        const ws = new WebSocket(u);
        ws.onopen = () => ok(ws);
        ws.onerror = () => fail(new Error(`cannot open ${u}`));
      });
    const sub = await open(url);
    const pub = await open(url);
    sub.send("subscribe");
    // The subscription is in place once a probe frame comes back.
    await new Promise<void>((ok) => {
      sub.onmessage = () => ok();
      const probe = setInterval(() => pub.send("probe"), 5);
      sub.addEventListener("message", () => clearInterval(probe), { once: true });
    });
    const frame = JSON.stringify({ type: "event", pad: "x".repeat(Math.max(0, frameBytes - 30)) });
    let got = 0;
    const done = new Promise<number>((ok) => (sub.onmessage = (m) => m.data !== "probe" && ++got === N && ok(performance.now())));
    const t0 = performance.now();
    for (let i = 0; i < N; i++) pub.send(frame);
    const t1 = await done;
    sub.close();
    pub.close();
    return N / ((t1 - t0) / 1000);
  } finally {
    server.kill();
    await server.exited;
  }
}

console.log(`kuzu-sync e2e benchmark: ${fmt(N)} CREATE_USER events, one pipelining writer (raw protocol), one replica client (SyncClient) (bun ${Bun.version})`);
const e2e = await gatewayRun();
const relay = await relayRun(e2e.frameBytes);
const directUpsert = await directBatchedRate(rows, "upsert");
const directInsert = await directBatchedRate(rows, "insert");
// The fairest baseline is the fastest direct way to the same graph: for new ids, that is CREATE.
const direct = Math.max(directUpsert, directInsert);
const naive = await naiveRate(rows.slice(0, NAIVE_N));

const table = [
  ["gateway: acked events/s", fmt(e2e.acked), `${(e2e.acked / relay).toFixed(2)}× raw relay (target ≥ 0.3)`],
  ["replica: applied events/s", fmt(e2e.applied), `${(e2e.applied / direct).toFixed(2)}× direct batched Kuzu (target ≥ 0.7); ${(e2e.applied / naive).toFixed(1)}× naive (target ≥ 20)`],
  ["replica: catch-up applied events/s", fmt(e2e.catchUp), `${(e2e.catchUp / direct).toFixed(2)}× direct batched Kuzu; ${(e2e.catchUp / naive).toFixed(1)}× naive (a new client, idle gateway)`],
  ["send→applied latency p50", `${e2e.p50.toFixed(0)} ms`, "pipelined: includes queueing behind earlier events"],
  ["send→applied latency p99", `${e2e.p99.toFixed(0)} ms`, ""],
  ["baseline: raw Bun WS relay frames/s", fmt(relay), `same frame size (${e2e.frameBytes} B)`],
  ["CPU per event: gateway process", `${e2e.gatewayCpuUs.toFixed(1)} µs`, "parse, validate, log, ack, fan-out, and its server replica"],
  ["CPU per event: bench process", `${e2e.benchCpuUs.toFixed(1)} µs`, "the writer and the replica client (with its Kuzu threads)"],
  ["baseline: direct batched Kuzu events/s", fmt(direct), `the faster of: UNWIND … CREATE ${fmt(directInsert)}/s, CREATE_USER's batch form ${fmt(directUpsert)}/s (2000 rows per statement)`],
  ["baseline: naive Kuzu events/s", fmt(naive), `one autocommitted statement per event (${fmt(NAIVE_N)} events)`],
];
const w0 = Math.max(...table.map((r) => r[0]!.length));
const w1 = Math.max(...table.map((r) => r[1]!.length));
for (const [a, b, c] of table) console.log(`${a!.padEnd(w0)}  ${b!.padStart(w1)}  ${c}`);
