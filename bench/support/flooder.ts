#!/usr/bin/env bun
/**
 * The hostile client of bench/flood.ts, in its own process: one connection that sends events as
 * fast as the socket takes them (at most `window` unanswered), until a "stop" line on stdin.
 * Prints `{"type":"started"}` once flooding, `{"type":"limited"}` at its first RATE_LIMITED, then its
 * totals as one JSON line.
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
/** Totals when the first RATE_LIMITED came (the burst was spent): [time, sent, acked]. */
let atLimit: [number, number, number] | null = null;
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
    if (msg.code === "RATE_LIMITED" && atLimit === null) {
      atLimit = [performance.now(), sent, acked];
      process.stdout.write(`${JSON.stringify({ type: "limited" })}\n`);
    }
    rejected[msg.code!] = (rejected[msg.code!] ?? 0) + 1;
    pump();
  }
};
ws.send(JSON.stringify({ type: "hello", clientId: "flooder", lastSeq: 0 }));
for await (const line of console) {
  if (line.trim() !== "stop") continue;
  stopped = true;
  // After the burst when there was one: the steady state is what the probe was measured in.
  const [t0, sent0, acked0]: [number, number, number] = atLimit ?? [started, 0, 0];
  const limited = rejected["RATE_LIMITED"] ?? 0;
  process.stdout.write(`${JSON.stringify({ type: "totals", seconds: (performance.now() - t0) / 1000, sent: sent - sent0, acked: acked - acked0, limited })}\n`);
  ws.close();
  break;
}
process.exit(0);
