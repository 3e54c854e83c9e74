#!/usr/bin/env bun
/**
 * Fan-out at scale: SUBS light subscribers (WebSockets speaking the protocol, in SUB_PROCS
 * processes of their own, bench/support/fanout-subscribers.ts) plus REPLICAS real
 * `createSyncClient` replicas (in memory, in a process of their own), spread over two JetStream gateways
 * sharing one stream on one nats-server; WRITERS bare writers send RATE events/s in total
 * (paced, spread evenly over time and over the gateways) for DURATION seconds after WARMUP
 * seconds. Every event id carries its send time, so subscribers measure write → delivery.
 *
 *   bun bench/fanout.ts                                   # SUBS=1000 RATE=2000 DURATION=20 REPLICAS=4
 *   SUBS=200 RATE=500 DURATION=5 bun bench/fanout.ts      # quick
 *
 * Reports: delivered events/s in total (every subscriber and replica counted), p50/p99 write →
 * delivery latency (a tenth of the light subscribers parse every frame; the others check seqs
 * only), write → applied on the replicas, gaps or early closes (nothing may be dropped), slow
 * consumers the gateways evicted, and CPU per delivered event of the gateways, nats-server, the
 * subscriber and replica processes and this process (the writers).
 * @module
 */
import type { Subprocess } from "bun";
import { resolve } from "node:path";
import { startGatewayProcess, type GatewayProcess } from "../tests/support/gateway-process.ts";
import { NatsServer } from "../tests/support/nats-server.ts";
import { cpuMs } from "./support/cpu-time.ts";
import { pacedWriter } from "./support/ws-writers.ts";

const SUBS = Number(process.env["SUBS"] ?? 1000);
const SUB_PROCS = Number(process.env["SUB_PROCS"] ?? 4);
const REPLICAS = Number(process.env["REPLICAS"] ?? 4);
const RATE = Number(process.env["RATE"] ?? 2000);
const WRITERS = Number(process.env["WRITERS"] ?? 4);
const DURATION = Number(process.env["DURATION"] ?? 20);
const WARMUP = Number(process.env["WARMUP"] ?? 3);
const SUBSCRIBERS = resolve(import.meta.dir, "support/fanout-subscribers.ts");
const REPLICA_PROCESS = resolve(import.meta.dir, "support/fanout-replicas.ts");

interface Totals {
  readonly events: number;
  readonly frames: number;
  readonly gaps: number;
  readonly closedEarly: number;
  readonly minLast: number;
  readonly maxLast: number;
  readonly cpuMs: number;
  readonly bucketMs: number;
  readonly buckets: [number, number][];
}

/** A child of this bench (subscribers, replicas): commands on stdin, JSON lines on stdout. */
class ChildProcess {
  readonly proc: Subprocess<"pipe", "pipe", "inherit">;
  readonly #lines: string[] = [];
  readonly #waiters: ((line: string) => void)[] = [];

  constructor(script: string, config: object) {
    const proc = Bun.spawn(["bun", script, JSON.stringify(config)], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    this.proc = proc;
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of proc.stdout) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        for (const line of lines) {
          const w = this.#waiters.shift();
          if (w) w(line);
          else this.#lines.push(line);
        }
      }
    })();
  }

  next(): Promise<Record<string, unknown>> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line) as Record<string, unknown>);
    return new Promise((ok) => this.#waiters.push((l) => ok(JSON.parse(l) as Record<string, unknown>)));
  }

  send(command: string): void {
    this.proc.stdin.write(`${command}\n`);
    void this.proc.stdin.flush();
  }
}

function percentileOf(buckets: Map<number, number>, bucketMs: number, p: number): number {
  const total = [...buckets.values()].reduce((a, b) => a + b, 0);
  let seen = 0;
  for (const b of [...buckets.keys()].sort((x, y) => x - y)) {
    seen += buckets.get(b)!;
    if (seen >= (p / 100) * total) return (b + 1) * bucketMs;
  }
  return Number.NaN;
}

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const loadNow = async () => (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
const load = [await loadNow()];

await using nats = await NatsServer.start();
const args = ["--rate-limit", "0", "--log", "jetstream", "--nats-url", nats.url, "--stream", "FANOUT"];
const quiet = { LOG_LEVEL: "info" };
// PROFILE_DIR: the first gateway writes a CPU profile there (bun --cpu-prof-md) when it stops.
const profile = process.env["PROFILE_DIR"];
await using gw1 = await startGatewayProcess({ args, env: { ...quiet, ...(profile ? { BUN_OPTIONS: `--cpu-prof-md --cpu-prof-dir=${profile}` } : {}) } });
await using gw2 = await startGatewayProcess({ args, env: quiet });
const gateways: GatewayProcess[] = [gw1, gw2];
const urls = gateways.map((g) => g.url);

const procs = Array.from({ length: SUB_PROCS }, (_, p) => {
  const count = Math.floor(SUBS / SUB_PROCS) + (p < SUBS % SUB_PROCS ? 1 : 0);
  // Rotate the URL list so each process's sockets alternate starting from a different gateway.
  return new ChildProcess(SUBSCRIBERS, { urls: p % 2 === 0 ? urls : [...urls].reverse(), count, sampleEvery: 10, name: `sub${p}` });
});
// The replicas apply every event in Kuzu: in a process of their own, so the writers' timing is theirs alone.
const replicas = new ChildProcess(REPLICA_PROCESS, { urls, count: REPLICAS });
try {
  for (const p of [...procs, replicas]) if ((await p.next())["type"] !== "ready") throw new Error("a child process of the bench failed");

  const write = (phase: string, seconds: number) =>
    Promise.all(
      Array.from({ length: WRITERS }, (_, w) =>
        pacedWriter(
          {
            url: urls[w % urls.length]!,
            name: `${phase}-w${w}`,
            count: Math.round((RATE / WRITERS) * seconds),
            stamp: true,
            // Many counters: replicas apply runs of distinct keys in one statement (one counter
            // per writer would make every replica run one statement per event).
            event: (i) => ({ template: "INCREMENT_COUNTER", params: { counterId: `c-${w}-${i % 1000}`, amount: 1 } }),
          },
          RATE / WRITERS,
        ),
      ),
    );
  await write("warm", WARMUP);

  const pids = { gateways: gateways.map((g) => g.proc.pid), nats: nats.pid! };
  const gw0 = pids.gateways.map((p) => cpuMs(p));
  const nats0 = cpuMs(pids.nats);
  const bench0 = cpuMs();
  for (const p of [...procs, replicas]) p.send("start");
  const t0 = performance.now();
  const ackLatencies = (await write("run", DURATION)).flat().sort((a, b) => a - b);
  const writeSeconds = (performance.now() - t0) / 1000;
  // Everything written must reach everyone: wait for the slowest subscriber and replica.
  const head = Math.max(...(await Promise.all(gateways.map(async (g) => ((await (await fetch(`${g.httpUrl}/health`)).json()) as { headSeq: number }).headSeq))));
  replicas.send(`wait ${head}`);
  if ((await replicas.next())["type"] !== "reached") throw new Error("replicas did not reach the head");
  for (;;) {
    for (const p of procs) p.send("last");
    const lasts = await Promise.all(procs.map(async (p) => (await p.next())["minLast"] as number));
    if (Math.min(...lasts) >= head) break;
    await Bun.sleep(50);
  }
  const deliveredSeconds = (performance.now() - t0) / 1000;
  for (const p of [...procs, replicas]) p.send("stop");
  const totals = (await Promise.all(procs.map((p) => p.next()))) as unknown as Totals[];
  const replicaTotals = (await replicas.next()) as { events: number; p50: number; p99: number; cpuMs: number };
  const gwCpu = pids.gateways.map((p, i) => cpuMs(p) - gw0[i]!);
  const natsCpu = cpuMs(pids.nats) - nats0;
  const benchCpu = cpuMs() - bench0;
  const stats = await Promise.all(gateways.map(async (g) => (await (await fetch(`${g.httpUrl}/stats`)).json()) as { slowConsumersDisconnected: number; liveClients: number }));

  const buckets = new Map<number, number>();
  for (const t of totals) for (const [b, n] of t.buckets) buckets.set(b, (buckets.get(b) ?? 0) + n);
  const bucketMs = totals[0]!.bucketMs;
  const subEvents = totals.reduce((a, t) => a + t.events, 0);
  const replicaEvents = replicaTotals.events;
  const delivered = subEvents + replicaEvents;
  const written = ackLatencies.length;
  load.push(await loadNow());

  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log(
    `SUBS=${SUBS} (${SUB_PROCS} processes) REPLICAS=${REPLICAS} RATE=${RATE} WRITERS=${WRITERS} DURATION=${DURATION}s WARMUP=${WARMUP}s, 2 JetStream gateways, 1 nats-server (bun ${Bun.version}, ${navigator.hardwareConcurrency} cores; load average ${load.join(" → ")})`,
  );
  const rows: [string, string][] = [
    ["events written (acked)", `${fmt(written)} in ${writeSeconds.toFixed(1)} s = ${fmt(written / writeSeconds)}/s; ack p50 ${pct(ackLatencies, 50).toFixed(1)} ms, p99 ${pct(ackLatencies, 99).toFixed(1)} ms`],
    ["events delivered, total", `${fmt(delivered)} = ${fmt(delivered / writeSeconds)}/s over the writing time (all delivered ${deliveredSeconds.toFixed(1)} s after the first write)`],
    ["write → delivery, light subscribers", `p50 ${percentileOf(buckets, bucketMs, 50).toFixed(1)} ms, p99 ${percentileOf(buckets, bucketMs, 99).toFixed(1)} ms (${fmt([...buckets.values()].reduce((a, b) => a + b, 0))} samples)`],
    ["write → applied, replicas", `p50 ${replicaTotals.p50.toFixed(1)} ms, p99 ${replicaTotals.p99.toFixed(1)} ms`],
    ["frames per subscriber per second", fmt(totals.reduce((a, t) => a + t.frames, 0) / SUBS / writeSeconds)],
    ["dropped", `${totals.reduce((a, t) => a + t.gaps, 0)} gaps, ${totals.reduce((a, t) => a + t.closedEarly, 0)} closed, ${stats.reduce((a, s) => a + s.slowConsumersDisconnected, 0)} slow consumers evicted; live clients ${stats.map((s) => s.liveClients).join(" + ")}`],
    ["CPU per delivered event: gateways", `${((gwCpu.reduce((a, b) => a + b, 0) * 1000) / delivered).toFixed(2)} µs (${gwCpu.map((c) => ((c * 1000) / delivered).toFixed(2)).join(" + ")}); per written event ${((gwCpu.reduce((a, b) => a + b, 0) * 1000) / written).toFixed(0)} µs`],
    ["CPU per delivered event: subscriber processes", `${((totals.reduce((a, t) => a + t.cpuMs, 0) * 1000) / subEvents).toFixed(2)} µs`],
    ["CPU per delivered event: replica process", `${((replicaTotals.cpuMs * 1000) / replicaEvents).toFixed(1)} µs (parse, bookkeeping, Kuzu)`],
    ["CPU per written event: nats-server, writers", `${((natsCpu * 1000) / written).toFixed(0)} µs, ${((benchCpu * 1000) / written).toFixed(0)} µs`],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  for (const [a, b] of rows) console.log(`${a.padEnd(w0)}  ${b}`);
} finally {
  for (const p of [...procs, replicas]) {
    p.send("exit");
    await Promise.race([p.proc.exited, Bun.sleep(2_000)]);
    p.proc.kill();
  }
}
