#!/usr/bin/env bun
/**
 * Light subscribers for bench/fanout.ts, in a process of their own: `count` WebSockets speaking the
 * protocol (hello at the head, then live `events` frames), spread round-robin over `urls`. Each
 * checks that the seqs it receives are contiguous (no gap, no duplicate) from reading only each
 * frame's first and last `"seq":`; every `sampleEvery`-th socket also parses its frames and
 * measures write → delivery latency from the send time the writers put in each event id
 * (`…@<epoch µs>`). Prints `{"type":"ready"}` once all are live; on a "stop" line, the totals.
 *
 *   bun bench/support/fanout-subscribers.ts '{"urls":["ws://…"],"count":250,"sampleEvery":10,"name":"s1"}'
 * @module
 */
import { headSeqOf } from "./ws-writers.ts";
export {};

interface Config {
  readonly urls: readonly string[];
  readonly count: number;
  readonly sampleEvery: number;
  readonly name: string;
}

const config = JSON.parse(process.argv[2] ?? "{}") as Config;
/** Latency histogram: 0.1 ms buckets up to 10 s. */
const BUCKET_MS = 0.1;
const histogram = new Uint32Array(100_000);
let events = 0;
let frames = 0;
let gaps = 0;
let measuring = false;
const nowEpochUs = () => (performance.timeOrigin + performance.now()) * 1000;

interface Sub {
  last: number;
  readonly sampled: boolean;
}

function firstSeq(text: string): number {
  const at = text.indexOf('"seq":');
  return at < 0 ? -1 : Number.parseInt(text.slice(at + 6, at + 24), 10);
}

function lastSeq(text: string): number {
  const at = text.lastIndexOf('"seq":');
  return at < 0 ? -1 : Number.parseInt(text.slice(at + 6, at + 24), 10);
}

async function open(i: number): Promise<{ ws: WebSocket; sub: Sub }> {
  const url = config.urls[i % config.urls.length]!;
  const ws = new WebSocket(url);
  const sub: Sub = { last: 0, sampled: i % config.sampleEvery === 0 };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`subscriber ${i} cannot connect to ${url}`));
  });
  const live = new Promise<void>((resolve) => {
    ws.onmessage = (m) => {
      const text = m.data as string;
      if (text.startsWith('{"type":"live"')) {
        sub.last = (JSON.parse(text) as { seq: number }).seq;
        resolve();
        return;
      }
      if (!text.startsWith('{"type":"events"')) return;
      const first = firstSeq(text);
      const last = lastSeq(text);
      if (sub.last !== 0 && first !== sub.last + 1) gaps++;
      sub.last = last;
      if (!measuring) return;
      frames++;
      events += last - first + 1;
      if (!sub.sampled) return;
      const now = nowEpochUs();
      for (const e of (JSON.parse(text) as { events: { id: string }[] }).events) {
        const at = e.id.lastIndexOf("@");
        if (at < 0) continue;
        const ms = (now - Number(e.id.slice(at + 1))) / 1000;
        histogram[Math.min(histogram.length - 1, Math.max(0, Math.floor(ms / BUCKET_MS)))]!++;
      }
    };
  });
  ws.send(JSON.stringify({ type: "hello", clientId: `${config.name}-${i}`, lastSeq: await headSeqOf(url) }));
  await live;
  return { ws, sub };
}

const subs: { ws: WebSocket; sub: Sub }[] = [];
// A few at a time: a thousand upgrades at once only measure the accept queue.
for (let i = 0; i < config.count; i += 25) {
  subs.push(...(await Promise.all(Array.from({ length: Math.min(25, config.count - i) }, (_, k) => open(i + k)))));
}
let closedEarly = 0;
for (const { ws } of subs) ws.addEventListener("close", () => measuring && closedEarly++);
process.stdout.write(`${JSON.stringify({ type: "ready" })}\n`);

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let cpu0 = 0;
for await (const line of console) {
  const command = line.trim();
  if (command === "start") {
    measuring = true;
    cpu0 = cpu();
  } else if (command === "stop") {
    measuring = false;
    const buckets: [number, number][] = [];
    for (let b = 0; b < histogram.length; b++) if (histogram[b]! > 0) buckets.push([b, histogram[b]!]);
    const lastSeqs = subs.map((s) => s.sub.last);
    process.stdout.write(
      `${JSON.stringify({ type: "totals", events, frames, gaps, closedEarly, minLast: Math.min(...lastSeqs), maxLast: Math.max(...lastSeqs), cpuMs: cpu() - cpu0, bucketMs: BUCKET_MS, buckets })}\n`,
    );
  } else if (command === "last") {
    process.stdout.write(`${JSON.stringify({ type: "last", minLast: Math.min(...subs.map((s) => s.sub.last)) })}\n`);
  } else if (command === "exit") {
    for (const { ws } of subs) ws.close();
    break;
  }
}
process.exit(0);
