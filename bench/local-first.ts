#!/usr/bin/env bun
/**
 * Local-first client: how soon an optimistic write shows, and what live queries cost.
 *
 * 1. Latency, against a real gateway: a client with a live query on one counter writes
 *    `INCREMENT_COUNTER` optimistically and times write → the live callback with the new value;
 *    interleaved with the same write sent without `optimistic`, timed write → applied from the
 *    stream (`waitForSeq`) and write → live callback. One write at a time; each sample waits
 *    until the write is applied before the next.
 * 2. Throughput: a writer pipelines a mixed stream (CREATE_USER, INCREMENT_COUNTER); a fresh
 *    reader client times applying it (first event → last applied) with no live query, with 100
 *    live queries that the stream keeps changing, and with `optimistic: true` (its overlay copy
 *    follows every applied event). Conditions alternate, `--rounds` times each; medians compared.
 *
 *   bun bench/local-first.ts                        # 500 latency samples, 3 × 10000 events per condition
 *   bun bench/local-first.ts --samples 200 --events 2000 --rounds 2
 * @module
 */
import { parseArgs } from "node:util";
import { createSyncClient, type SyncClient } from "@kuzu-sync/client";
import { startGatewayProcess } from "../tests/support/gateway-process.ts";

const { values } = parseArgs({
  options: { samples: { type: "string", default: "500" }, events: { type: "string", default: "10000" }, rounds: { type: "string", default: "3" } },
});
const SAMPLES = Number(values.samples);
const EVENTS = Number(values.events);
const ROUNDS = Number(values.rounds);

const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const median = (xs: readonly number[]): number => pct([...xs].sort((a, b) => a - b), 50);
const ms = (n: number): string => `${n.toFixed(2)} ms`;
const summary = (xs: number[]): { p50: number; p99: number } => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99) };
};

const client = (url: string, optimistic = false): SyncClient => createSyncClient(url, { statsIntervalMs: 0, optimistic, connectTimeoutMs: 120_000 });

/** Resolves when `check` holds after a live callback (checked on each one). */
function watch(): { rows: (rows: Record<string, unknown>[]) => void; until: (check: (rows: Record<string, unknown>[]) => boolean) => Promise<void> } {
  let waiting: { check: (rows: Record<string, unknown>[]) => boolean; done: () => void } | null = null;
  let last: Record<string, unknown>[] = [];
  return {
    rows(rows) {
      last = rows;
      if (waiting !== null && waiting.check(rows)) {
        const w = waiting;
        waiting = null;
        w.done();
      }
    },
    until(check) {
      if (check(last)) return Promise.resolve();
      return new Promise((done) => (waiting = { check, done }));
    },
  };
}

async function latency(url: string): Promise<void> {
  const writer = client(url, true);
  await writer.connect();
  const live = watch();
  const COUNTER = "MATCH (c:Counter {id: $id}) RETURN c.value AS value";
  writer.live(COUNTER, { id: "lat" }, live.rows);
  let value = 0;
  const optimistic: number[] = [];
  const applied: number[] = [];
  const appliedLive: number[] = [];
  const warmup = 20;
  for (let i = 0; i < SAMPLES + warmup; i++) {
    // Optimistic: write → the live callback shows it.
    let target = ++value;
    let t0 = performance.now();
    const ack = writer.executeTemplate("INCREMENT_COUNTER", { counterId: "lat", amount: 1 });
    await live.until((rows) => rows[0]?.["value"] === target);
    const shown = performance.now() - t0;
    await writer.waitForSeq((await ack).seq);
    // Round trip: write → applied from the stream (and → the live callback).
    target = ++value;
    t0 = performance.now();
    const shownLive = live.until((rows) => rows[0]?.["value"] === target).then(() => performance.now() - t0);
    const { seq } = await writer.executeTemplate("INCREMENT_COUNTER", { counterId: "lat", amount: 1 }, { optimistic: false });
    await writer.waitForSeq(seq);
    const roundTrip = performance.now() - t0;
    const roundTripLive = await shownLive;
    if (i < warmup) continue;
    optimistic.push(shown);
    applied.push(roundTrip);
    appliedLive.push(roundTripLive);
  }
  await writer.close();
  const o = summary(optimistic);
  const a = summary(applied);
  const al = summary(appliedLive);
  console.log(`\n1. latency (${SAMPLES} samples each, interleaved)`);
  console.log(`   optimistic write → live callback:       p50 ${ms(o.p50)}  p99 ${ms(o.p99)}   (target p99 ≤ 5 ms)`);
  console.log(`   plain write → applied (waitForSeq):     p50 ${ms(a.p50)}  p99 ${ms(a.p99)}`);
  console.log(`   plain write → live callback:            p50 ${ms(al.p50)}  p99 ${ms(al.p99)}`);
  console.log(`   optimistic / round trip (p50):          ${(o.p50 / a.p50).toFixed(2)}`);
}

/** The 100 live queries of the throughput run: keyed reads and aggregates the stream changes. */
function liveQueries(): { cypher: string; params: Record<string, unknown> }[] {
  const q: { cypher: string; params: Record<string, unknown> }[] = [];
  for (let i = 0; i < 40; i++) q.push({ cypher: "MATCH (c:Counter {id: $id}) RETURN c.value AS value", params: { id: `c${i % 50}` } });
  for (let i = 0; i < 40; i++) q.push({ cypher: "MATCH (u:User {id: $id}) RETURN u.name AS name", params: { id: `u${i % 200}` } });
  for (let i = 0; i < 10; i++) q.push({ cypher: "MATCH (c:Counter) RETURN count(*) AS n, sum(c.value) AS total", params: {} });
  for (let i = 0; i < 10; i++) q.push({ cypher: "MATCH (u:User) RETURN count(*) AS n", params: {} });
  return q;
}

type Condition = "none" | "100 live" | "optimistic";

/** A row list as text (sums come back as bigints). */
const text = (rows: readonly Record<string, unknown>[]): string => JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));

/**
 * One round: the reader's rate is the events over the time from the first one applied to the last
 * one applied *and* every live query delivering the rows it ends with (a live query that lags
 * behind the replica does not count as done).
 */
async function throughputRound(url: string, writer: SyncClient, condition: Condition, round: number): Promise<{ rate: number; callbacks: number }> {
  const reader = client(url, condition === "optimistic");
  let callbacks = 0;
  const queries = condition === "100 live" ? liveQueries() : [];
  const last = queries.map(() => ({ rows: "", at: 0 }));
  let changed = (): void => {};
  queries.forEach((q, i) =>
    reader.live(q.cypher, q.params, (rows) => {
      callbacks++;
      last[i] = { rows: text(rows), at: performance.now() };
      changed();
    }),
  );
  const settled = (check: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      changed = () => check() && resolve();
      changed();
    });
  await reader.connect();
  await writer.waitForSeq(reader.lastAppliedSeq);
  await settled(() => last.every((l) => l.at > 0));
  callbacks = 0;
  let first = 0;
  const off = reader.on("event", () => {
    first = performance.now();
    off();
  });
  const sends: Promise<{ seq: number }>[] = [];
  for (let i = 0; i < EVENTS; i++) {
    sends.push(
      i % 2 === 0
        ? writer.executeTemplate("CREATE_USER", { id: `u${i % 200}`, name: `r${round}-${i}` })
        : writer.executeTemplate("INCREMENT_COUNTER", { counterId: `c${i % 50}`, amount: 1 }),
    );
  }
  const head = Math.max(...(await Promise.all(sends)).map((a) => a.seq));
  await reader.waitForSeq(head, 300_000);
  const applied = performance.now();
  await writer.waitForSeq(head, 300_000);
  const expected = await Promise.all(queries.map((q) => writer.query(q.cypher, q.params).then(text)));
  await settled(() => last.every((l, i) => l.rows === expected[i]));
  const done = Math.max(applied, ...last.map((l) => l.at));
  await reader.close();
  return { rate: EVENTS / ((done - first) / 1000), callbacks };
}

async function throughput(url: string): Promise<void> {
  const writer = client(url);
  await writer.connect();
  const rates: Record<Condition, number[]> = { none: [], "100 live": [], optimistic: [] };
  let callbacks = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (const condition of ["none", "100 live", "optimistic"] as const) {
      const res = await throughputRound(url, writer, condition, r);
      rates[condition].push(res.rate);
      if (condition === "100 live") callbacks += res.callbacks;
    }
  }
  await writer.close();
  const none = median(rates.none);
  const live = median(rates["100 live"]);
  const optimistic = median(rates.optimistic);
  const each = (xs: number[]): string => xs.map((x) => Math.round(x)).join(", ");
  console.log(`\n2. applied events/s, ${EVENTS} events per round, ${ROUNDS} rounds each (median; rounds in brackets)`);
  console.log(`   no live query:        ${Math.round(none)}/s  [${each(rates.none)}]`);
  console.log(`   100 live queries:     ${Math.round(live)}/s  [${each(rates["100 live"])}]  (${Math.round(callbacks / ROUNDS)} listener calls a round)`);
  console.log(`   optimistic: true:     ${Math.round(optimistic)}/s  [${each(rates.optimistic)}]`);
  console.log(`   ratio 100 live / none: ${(live / none).toFixed(2)}   (target ≥ 0.8)`);
  console.log(`   ratio optimistic / none: ${(optimistic / none).toFixed(2)}`);
}

const load = (await Bun.$`uptime`.text()).trim();
console.log(`bench/local-first.ts — ${new Date().toISOString()} — ${load}`);
await using gw = await startGatewayProcess();
await latency(gw.url);
await throughput(gw.url);
console.log(`\nload after: ${(await Bun.$`uptime`.text()).trim()}`);
