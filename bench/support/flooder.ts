#!/usr/bin/env bun
/**
 * The hostile client of bench/flood.ts, in its own process: one connection that sends events as
 * fast as the socket takes them (at most `window` unanswered), until a "stop" line on stdin.
 * Prints `{"type":"started"}` once flooding, then its totals as one JSON line.
 *
 *   bun bench/support/flooder.ts <url> [window]
 * @module
 */
export {};

const [url, windowArg] = process.argv.slice(2);
if (!url) throw new Error("usage: flooder.ts <url> [window]");
const WINDOW = Number(windowArg ?? 2_000);

const ws = new WebSocket(url);
await new Promise<void>((ok, fail) => ((ws.onopen = () => ok()), (ws.onerror = () => fail(new Error(`cannot connect to ${url}`)))));
let sent = 0;
let acked = 0;
const rejected: Record<string, number> = {};
let stopped = false;
let started = 0;
const pump = () => {
  while (!stopped && sent - acked - Object.values(rejected).reduce((a, b) => a + b, 0) < WINDOW) {
    const n = sent++;
    ws.send(JSON.stringify({ type: "event", event: { id: `flood-${n}`, template: "CREATE_USER", params: { id: `f${n % 10_000}`, name: `flood ${n}` }, clientId: "flooder", timestamp: Date.now() } }));
  }
};
ws.onmessage = (m) => {
  const msg = JSON.parse(String(m.data)) as { type: string; code?: string };
  if (msg.type === "live") {
    started = performance.now();
    process.stdout.write(`${JSON.stringify({ type: "started" })}\n`);
    pump();
  } else if (msg.type === "ack") {
    acked++;
    pump();
  } else if (msg.type === "reject") {
    rejected[msg.code!] = (rejected[msg.code!] ?? 0) + 1;
    pump();
  }
};
ws.send(JSON.stringify({ type: "hello", clientId: "flooder", lastSeq: 0 }));
for await (const line of console) {
  if (line.trim() !== "stop") continue;
  stopped = true;
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ type: "totals", seconds, sent, acked, rejected })}\n`);
  ws.close();
  break;
}
process.exit(0);
