#!/usr/bin/env bun
/**
 * Constant-time reads, and the price of debug logging.
 *
 * 1. Builds two data dirs, one with a 10k-event log and one with a 1M-event log (written through
 *    SqliteEventLog.append in large groups, so the aggregates and per-template/per-client counts
 *    are maintained exactly as in production), starts the real gateway on each, waits for its
 *    server replica to catch up, then times `GET /stats` and `GET /aggregates/<name>/<key>`
 *    (sequential requests over loopback, p50/p99) and reports the 1M/10k ratio. Start-up time
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
import { SqliteEventLog } from "@kuzu-sync/sync-server";
import { startGatewayProcess } from "../tests/support/gateway-process.ts";
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
 * A deterministic history in runs of 100 events of one template (as bursts of one kind of write
 * arrive), so replicas apply CREATE_USER runs as single UNWIND statements: 90% CREATE_USER, 6%
 * INCREMENT_COUNTER, 3% CREATE_POST, 1% DELETE_POST, in the same proportions in every 10k events.
 */
function* history(n: number): Generator<ClientEvent[]> {
  const RUN = 100;
  let i = 0;
  for (let run = 0; i < n; run++) {
    const slot = (run * 37) % 100; // a permutation of 0..99 in every 100 runs
    const template = slot < 90 ? "CREATE_USER" : slot < 96 ? "INCREMENT_COUNTER" : slot < 99 ? "CREATE_POST" : "DELETE_POST";
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

async function timeRequests(urls: readonly string[]): Promise<{ p50: number; p99: number }> {
  for (const url of urls.slice(0, 200)) await (await fetch(url)).arrayBuffer(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const url = urls[i % urls.length]!;
    const t0 = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    times.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  }
  times.sort((a, b) => a - b);
  return { p50: pct(times, 50), p99: pct(times, 99) };
}

interface ReadRun {
  events: number;
  buildSeconds: number;
  startupMs: number;
  replicaCatchUpSeconds: number;
  stats: { p50: number; p99: number };
  counter: { p50: number; p99: number };
  posts: { p50: number; p99: number };
  statsBytes: number;
}

async function readRun(n: number): Promise<ReadRun> {
  const { dir, seconds } = await buildDataDir(n);
  try {
    const t0 = performance.now();
    await using gw = await startGatewayProcess({ dataDir: dir, keepDataDir: true });
    const startupMs = performance.now() - t0;
    const t1 = performance.now();
    await waitForReplica(gw.httpUrl, n, 30 * 60_000);
    const replicaCatchUpSeconds = (performance.now() - t1) / 1000;
    const stats = (await (await fetch(`${gw.httpUrl}/stats`)).json()) as { events: { total: number } };
    if (stats.events.total !== n) throw new Error(`/stats says ${stats.events.total} events, expected ${n}`);
    const countersAll = (await (await fetch(`${gw.httpUrl}/aggregates/counters`)).json()) as { values: Record<string, number> };
    const counterUrls = Object.keys(countersAll.values).map((k) => `${gw.httpUrl}/aggregates/counters/${k}`);
    const postsAll = (await (await fetch(`${gw.httpUrl}/aggregates/postsByAuthor`)).json()) as { values: Record<string, number> };
    const postUrls = Object.keys(postsAll.values).map((k) => `${gw.httpUrl}/aggregates/postsByAuthor/${k}`);
    return {
      events: n,
      buildSeconds: seconds,
      startupMs,
      replicaCatchUpSeconds,
      stats: await timeRequests([`${gw.httpUrl}/stats`]),
      counter: await timeRequests(counterUrls),
      posts: await timeRequests(postUrls),
      statsBytes: (await (await fetch(`${gw.httpUrl}/stats`)).text()).length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Acked events/s of one writer pipelining LOG_EVENTS events over the raw protocol. */
async function ackRate(level: "info" | "debug"): Promise<number> {
  await using gw = await startGatewayProcess({ env: { LOG_LEVEL: level } });
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

console.log(`kuzu-sync aggregates/stats benchmark (bun ${Bun.version}): ${fmt(SMALL)} vs ${fmt(LARGE)} events, ${fmt(REQUESTS)} sequential requests per endpoint`);
const small = await readRun(SMALL);
const large = await readRun(LARGE);

const ms = (x: number) => `${x.toFixed(3)} ms`;
const rows: string[][] = [
  ["", `${fmt(small.events)} events`, `${fmt(large.events)} events`, "ratio (p50)"],
  ["GET /stats p50 / p99", `${ms(small.stats.p50)} / ${ms(small.stats.p99)}`, `${ms(large.stats.p50)} / ${ms(large.stats.p99)}`, (large.stats.p50 / small.stats.p50).toFixed(2)],
  ["GET /aggregates/counters/<key> p50 / p99", `${ms(small.counter.p50)} / ${ms(small.counter.p99)}`, `${ms(large.counter.p50)} / ${ms(large.counter.p99)}`, (large.counter.p50 / small.counter.p50).toFixed(2)],
  ["GET /aggregates/postsByAuthor/<key> p50 / p99", `${ms(small.posts.p50)} / ${ms(small.posts.p99)}`, `${ms(large.posts.p50)} / ${ms(large.posts.p99)}`, (large.posts.p50 / small.posts.p50).toFixed(2)],
  ["gateway start-up (spawn → listening)", `${fmt(small.startupMs)} ms`, `${fmt(large.startupMs)} ms`, (large.startupMs / small.startupMs).toFixed(2)],
  ["/stats body", `${fmt(small.statsBytes)} B`, `${fmt(large.statsBytes)} B`, ""],
  ["(setup) log written through SqliteEventLog", `${small.buildSeconds.toFixed(1)} s`, `${large.buildSeconds.toFixed(1)} s`, ""],
  ["(setup) server replica catch-up before timing", `${small.replicaCatchUpSeconds.toFixed(1)} s`, `${large.replicaCatchUpSeconds.toFixed(1)} s`, ""],
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join("  "));

console.log(`\nlogging overhead: ${fmt(LOG_EVENTS)} pipelined events per run, ${ROUNDS} run(s) per level, alternated`);
const rates: Record<"info" | "debug", number[]> = { info: [], debug: [] };
for (let r = 0; r < ROUNDS; r++) for (const level of ["info", "debug"] as const) rates[level].push(await ackRate(level));
const best = (xs: number[]) => Math.max(...xs);
for (const level of ["info", "debug"] as const) console.log(`LOG_LEVEL=${level.padEnd(5)}  acked events/s: ${rates[level].map(fmt).join(", ")} (best ${fmt(best(rates[level]))})`);
console.log(`debug / info (best): ${(best(rates.debug) / best(rates.info)).toFixed(2)}`);
