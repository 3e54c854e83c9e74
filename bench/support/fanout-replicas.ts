#!/usr/bin/env bun
/**
 * Real replicas for bench/fanout.ts, in a process of their own: `count` in-memory
 * `createSyncClient`s spread round-robin over `urls`; while measuring, each applied event's
 * write → applied latency is taken from the send time in its id (`…@<epoch µs>`). Prints
 * `{"type":"ready"}`; then answers the commands "start", "wait <seq>" (`{"type":"reached"}` once
 * every replica applied seq), "stop" (latencies, events applied, CPU) and "exit".
 *
 *   bun bench/support/fanout-replicas.ts '{"urls":["ws://…"],"count":4}'
 * @module
 */
import { createSyncClient, type SyncClient } from "@kuzu-sync/client";
import { epochMicros } from "./ws-writers.ts";

const config = JSON.parse(process.argv[2] ?? "{}") as { urls: string[]; count: number };
const clients: SyncClient[] = [];
const latencies: number[] = [];
let measuring = false;
for (let i = 0; i < config.count; i++) {
  const client = createSyncClient(config.urls[i % config.urls.length]!, { statsIntervalMs: 0, useSnapshots: false });
  await client.connect();
  client.on("event", (e) => {
    if (!measuring) return;
    const at = e.id.lastIndexOf("@");
    if (at >= 0) latencies.push((epochMicros() - Number(e.id.slice(at + 1))) / 1000);
  });
  clients.push(client);
}
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
process.stdout.write(`${JSON.stringify({ type: "ready" })}\n`);
let cpu0 = 0;
let start: number[] = [];
for await (const line of console) {
  const [command, arg] = line.trim().split(" ");
  if (command === "start") {
    measuring = true;
    cpu0 = cpu();
    start = clients.map((c) => c.lastAppliedSeq);
  } else if (command === "wait") {
    for (const c of clients) await c.waitForSeq(Number(arg), 300_000);
    process.stdout.write(`${JSON.stringify({ type: "reached" })}\n`);
  } else if (command === "stop") {
    measuring = false;
    latencies.sort((a, b) => a - b);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
    const events = clients.reduce((sum, c, i) => sum + c.lastAppliedSeq - start[i]!, 0);
    process.stdout.write(`${JSON.stringify({ type: "totals", events, p50: at(50), p99: at(99), cpuMs: cpu() - cpu0 })}\n`);
  } else if (command === "exit") {
    for (const c of clients) await c.close();
    break;
  }
}
process.exit(0);
