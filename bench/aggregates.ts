#!/usr/bin/env bun
/**
 * Constant-time reads, and the price of debug logging.
 *
 * 1. Builds two data dirs, one with a 10k-event log and one with a 1M-event log (written through
 *    SqliteEventLog.append in large groups, so the aggregates and per-template/per-client counts
 *    are maintained exactly as in production), starts the real gateway on each, waits for its
 *    server replica to catch up, then times `GET /stats` and `GET /aggregates/<name>/<key>`
 *    (sequential requests over loopback, p50/p99; both gateways timed in alternating slices so
 *    other load on the machine hits both alike) and reports the 1M/10k ratio. Restart time
 *    (spawn → listening) is reported too: it must not grow with the history.
 * 2. Logging overhead: acked events/s of one pipelining writer against a fresh gateway with
 *    LOG_LEVEL=info and with LOG_LEVEL=debug (lifecycle records for every event), alternated.
 *
 *   bun bench/aggregates.ts                      # 10k vs 1M, 2000 requests, 20k events per logging run
 *   bun bench/aggregates.ts --large 200000 --requests 500
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { exampleRegistry, type ClientEvent } from "@kuzu-sync/protocol";
import { SqliteEventLog } from "@kuzu-sync/log";
import { startGatewayProcess, type GatewayProcess } from "../tests/support/gateway-process.ts";
import { waitForReplica } from "../tests/support/health.ts";

const { values: args } = parseArgs({
  options: {
    small: { type: "string", default: "10000" },
    large: { type: "string", default: "1000000" },
    requests: { type: "string", default: "2000" },
    events: { type: "string", default: "20000" },
    rounds: { type: "string", default: "2" },
  },
});
const SMALL = Number(args.small);
const LARGE = Number(args.large);
const REQUESTS = Number(args.requests);
const LOG_EVENTS = Number(args.events);
const ROUNDS = Number(args.rounds);

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const COUNTERS = 1_000;
const AUTHORS = 500;
const POSTS = 20_000;
const CLIENTS = 8;

/**
 * A deterministic history in runs of 50 events of one template (as bursts of one kind of write
 * arrive), so replicas apply CREATE_USER runs as single UNWIND statements: 96% CREATE_USER, 2%
 * INCREMENT_COUNTER, 1.5% CREATE_POST, 0.5% DELETE_POST, in the same proportions in every 10k
 * events. (The templates without a batch form cost one statement per event on the server
 * replica, whose catch-up must finish before timing.)
 */
function* history(n: number): Generator<ClientEvent[]> {
  const RUN = 50;
  let i = 0;
  for (let run = 0; i < n; run++) {
    const slot = (run * 37) % 200; // a permutation of 0..199 in every 200 runs
    const template = slot < 192 ? "CREATE_USER" : slot < 196 ? "INCREMENT_COUNTER" : slot < 199 ? "CREATE_POST" : "DELETE_POST";
    const events: ClientEvent[] = [];
    for (let k = 0; k < RUN && i < n; k++, i++) {
      const params =
        template === "CREATE_USER"
          ? { id: `user-${i % 200_000}`, name: `User ${i}` }
          : template === "INCREMENT_COUNTER"
            ? { counterId: `counter-${i % COUNTERS}`, amount: (i % 7) - 2 }
            : template === "CREATE_POST"
              ? { id: `post-${i % POSTS}`, authorId: `author-${i % AUTHORS}`, content: "hello" }
              : { id: `post-${(i * 7) % POSTS}` };
      events.push({ id: `hist-${i}`, template, params, clientId: `client-${i % CLIENTS}`, timestamp: 0 });
    }
    yield events;
  }
}

async function buildDataDir(n: number): Promise<{ dir: string; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), `agg-bench-${n}-`));
  const t0 = performance.now();
  const log = SqliteEventLog.open({ path: join(dir, "events.sqlite"), aggregates: exampleRegistry.toWire().aggregates });
  let group: ClientEvent[] = [];
  for (const run of history(n)) {
    group.push(...run);
    if (group.length >= 50_000) {
      await log.append(group); // one transaction
      group = [];
    }
  }
  if (group.length > 0) await log.append(group);
  await log.close();
  return { dir, seconds: (performance.now() - t0) / 1000 };
}

type Latency = { p50: number; p99: number };

/** One timed request (the body is read, so the whole answer is counted). */
async function timeOne(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return ms;
}

function summary(times: number[]): Latency {
  times.sort((a, b) => a - b);
  return { p50: pct(times, 50), p99: pct(times, 99) };
}

/** A running gateway on a data dir holding `events` events, caught up and ready to be timed. */
interface Prepared {
  readonly events: number;
  readonly dir: string;
  readonly buildSeconds: number;
  readonly firstStartMs: number;
  replicaCatchUpSeconds: number;
  gw: GatewayProcess;
  endpoints: Readonly<Record<"stats" | "counter" | "posts", readonly string[]>>;
}

async function prepare(n: number, runs: Prepared[]): Promise<Prepared> {
  const { dir, seconds } = await buildDataDir(n);
  const t0 = performance.now();
  const gw = await startGatewayProcess({ dataDir: dir, keepDataDir: true });
  const firstStartMs = performance.now() - t0;
  const run: Prepared = { events: n, dir, buildSeconds: seconds, firstStartMs, replicaCatchUpSeconds: 0, gw, endpoints: { stats: [], counter: [], posts: [] } };
  runs.push(run); // from here on, the caller stops it and removes the dir
  const t1 = performance.now();
  await waitForReplica(gw.httpUrl, n, 60 * 60_000);
  const stats = (await (await fetch(`${gw.httpUrl}/stats`)).json()) as { events: { total: number } };
  if (stats.events.total !== n) throw new Error(`/stats says ${stats.events.total} events, expected ${n}`);
  const keys = async (name: string) =>
    Object.keys(((await (await fetch(`${gw.httpUrl}/aggregates/${name}`)).json()) as { values: Record<string, number> }).values);
  run.replicaCatchUpSeconds = (performance.now() - t1) / 1000;
  run.endpoints = {
    stats: [`${gw.httpUrl}/stats`],
    counter: (await keys("counters")).map((k) => `${gw.httpUrl}/aggregates/counters/${encodeURIComponent(k)}`),
    posts: (await keys("postsByAuthor")).map((k) => `${gw.httpUrl}/aggregates/postsByAuthor/${encodeURIComponent(k)}`),
  };
  return run;
}

/** Time every gateway in alternating slices of 100 requests, so other load falls on all alike. */
async function timeInterleaved(runs: readonly Prepared[], endpoint: keyof Prepared["endpoints"]): Promise<Latency[]> {
  const times = runs.map(() => [] as number[]);
  for (const r of runs) for (const url of r.endpoints[endpoint].slice(0, 100)) await timeOne(url); // warm-up
  for (let done = 0; done < REQUESTS; done += 100) {
    for (const [k, r] of runs.entries()) {
      const urls = r.endpoints[endpoint];
      for (let i = done; i < Math.min(REQUESTS, done + 100); i++) times[k]!.push(await timeOne(urls[i % urls.length]!));
    }
  }
  return times.map(summary);
}

/** Median of three restarts (SIGTERM, start again) of a caught-up gateway. */
async function restartMs(run: Prepared): Promise<number> {
  const restarts: number[] = [];
  for (let r = 0; r < 3; r++) {
    await run.gw.stop();
    const t0 = performance.now();
    run.gw = await startGatewayProcess({ dataDir: run.dir, keepDataDir: true });
    restarts.push(performance.now() - t0);
  }
  return restarts.sort((a, b) => a - b)[1]!;
}

/** Acked events/s of one writer pipelining LOG_EVENTS events over the raw protocol. */
async function ackRate(level: "info" | "debug"): Promise<number> {
  // One connection pipelining every event: far past the default per-connection rate limit.
  await using gw = await startGatewayProcess({ args: ["--rate-limit", "0"], env: { LOG_LEVEL: level } });
  const ws = new WebSocket(gw.url);
  try {
    await new Promise<void>((ok, fail) => ((ws.onopen = () => ok()), (ws.onerror = () => fail(new Error("cannot connect")))));
    ws.send(JSON.stringify({ type: "hello", clientId: "bench-writer", lastSeq: 0 }));
    const frames = Array.from({ length: LOG_EVENTS }, (_, i) =>
      JSON.stringify({
        type: "event",
        event: {
          id: `log-${i}`,
          template: i % 4 === 0 ? "INCREMENT_COUNTER" : "CREATE_USER",
          params: i % 4 === 0 ? { counterId: `c${i % 100}`, amount: 1 } : { id: `u${i}`, name: `User ${i}` },
          clientId: "bench-writer",
          timestamp: Date.now(),
          traceparent: `00-${i.toString(16).padStart(32, "0").replace(/^0/, "1")}-${"1".padStart(16, "0")}-01`,
        },
      }),
    );
    let acks = 0;
    const done = new Promise<number>((ok, fail) => {
      ws.onmessage = (m) => {
        const msg = JSON.parse(String(m.data)) as { type: string; code?: string };
        if (msg.type === "ack" && ++acks === LOG_EVENTS) ok(performance.now());
        else if (msg.type === "reject" || msg.type === "error") fail(new Error(`gateway said ${msg.type} ${msg.code}`));
      };
    });
    const t0 = performance.now();
    for (const f of frames) ws.send(f);
    const t1 = await done;
    return LOG_EVENTS / ((t1 - t0) / 1000);
  } finally {
    ws.close();
  }
}

console.log(`kuzu-sync aggregates/stats benchmark (bun ${Bun.version}): ${fmt(SMALL)} vs ${fmt(LARGE)} events, ${fmt(REQUESTS)} sequential requests per endpoint and size`);
const runs: Prepared[] = [];
try {
  const small = await prepare(SMALL, runs);
  const large = await prepare(LARGE, runs);
  const both = [small, large];
  const stats = await timeInterleaved(both, "stats");
  const counter = await timeInterleaved(both, "counter");
  const posts = await timeInterleaved(both, "posts");
  const statsBytes = await Promise.all(both.map(async (r) => (await (await fetch(r.endpoints.stats[0]!)).text()).length));
  const restart = [await restartMs(small), await restartMs(large)] as const;

  const ms = (x: number) => `${x.toFixed(3)} ms`;
  const line = (label: string, l: Latency[]) => [label, `${ms(l[0]!.p50)} / ${ms(l[0]!.p99)}`, `${ms(l[1]!.p50)} / ${ms(l[1]!.p99)}`, (l[1]!.p50 / l[0]!.p50).toFixed(2)];
  const rows: string[][] = [
    ["", `${fmt(small.events)} events`, `${fmt(large.events)} events`, "ratio (p50)"],
    line("GET /stats p50 / p99", stats),
    line("GET /aggregates/counters/<key> p50 / p99", counter),
    line("GET /aggregates/postsByAuthor/<key> p50 / p99", posts),
    ["gateway restart (spawn → listening), median of 3", `${fmt(restart[0])} ms`, `${fmt(restart[1])} ms`, (restart[1] / restart[0]).toFixed(2)],
    ["first start on the new data dir", `${fmt(small.firstStartMs)} ms`, `${fmt(large.firstStartMs)} ms`, ""],
    ["/stats body", `${fmt(statsBytes[0]!)} B`, `${fmt(statsBytes[1]!)} B`, ""],
    ["(setup) log written through SqliteEventLog", `${small.buildSeconds.toFixed(1)} s`, `${large.buildSeconds.toFixed(1)} s`, ""],
    ["(setup) server replica catch-up before timing", `${small.replicaCatchUpSeconds.toFixed(1)} s`, `${large.replicaCatchUpSeconds.toFixed(1)} s`, ""],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
} finally {
  for (const r of runs) {
    await r.gw.stop();
    rmSync(r.dir, { recursive: true, force: true });
  }
}

console.log(`\nlogging overhead: ${fmt(LOG_EVENTS)} pipelined events per run, ${ROUNDS} run(s) per level, alternated`);
const rates: Record<"info" | "debug", number[]> = { info: [], debug: [] };
for (let r = 0; r < ROUNDS; r++) for (const level of ["info", "debug"] as const) rates[level].push(await ackRate(level));
const best = (xs: number[]) => Math.max(...xs);
for (const level of ["info", "debug"] as const) console.log(`LOG_LEVEL=${level.padEnd(5)}  acked events/s: ${rates[level].map(fmt).join(", ")} (best ${fmt(best(rates[level]))})`);
console.log(`debug / info (best): ${(best(rates.debug) / best(rates.info)).toFixed(2)}`);
