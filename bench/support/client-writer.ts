#!/usr/bin/env bun
/**
 * One writer of bench/client-writes.ts, in its own process (so its CPU is its own, and a client
 * of another checkout can be loaded): `window` CREATE_USER events in flight, `warmup` events
 * first, then `count` measured. Prints `{"phase":"measuring"}` when the measured part starts, then
 * one JSON line: events, seconds, events/s, CPU µs per event.
 *
 *   bun bench/support/client-writer.ts '{"url":"ws://…","mode":"client","count":20000,"warmup":5000,"window":1000}'
 *
 * Modes: `bare` (a WebSocket speaking the protocol, one `event` frame per event), `bare-batch`
 * (the same with `events` frames of `perFrame`), `client` (createSyncClient from `module`,
 * default this checkout's; persistent with `dbPath`).
 * @module
 */
import { windowWriter } from "./ws-writers.ts";

interface Config {
  readonly url: string;
  readonly mode: "bare" | "bare-batch" | "client";
  readonly count: number;
  readonly warmup: number;
  readonly window: number;
  readonly perFrame?: number;
  readonly module?: string;
  readonly dbPath?: string;
  readonly name?: string;
}

const config = JSON.parse(process.argv[2] ?? "{}") as Config;
const name = config.name ?? `writer-${process.pid}`;
const user = (prefix: string) => (i: number) => ({ template: "CREATE_USER", params: { id: `${prefix}-${i}`, name: `User number ${i}`, email: `u${i}@example.com` } });
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function bare(count: number, tag: string): Promise<void> {
  const perFrame = config.mode === "bare-batch" ? (config.perFrame ?? 100) : 1;
  await windowWriter({ url: config.url, name: `${name}-${tag}`, count, event: user(`${name}-${tag}`), perFrame }, config.window);
}

type Client = {
  connect(): Promise<void>;
  executeTemplate(t: string, p: Record<string, unknown>): Promise<{ seq: number }>;
  close(): Promise<void>;
};

async function viaClient(client: Client, count: number, tag: string): Promise<void> {
  const make = user(`${name}-${tag}`);
  let next = 0;
  const loop = async () => {
    while (next < count) {
      const { template, params } = make(next++);
      await client.executeTemplate(template, params);
    }
  };
  await Promise.all(Array.from({ length: config.window }, loop));
}

let run: (count: number, tag: string) => Promise<void>;
let done = async () => {};
if (config.mode === "client") {
  const mod = (await import(config.module ?? "@kuzu-sync/client")) as { createSyncClient(url: string, o: object): Client };
  const client = mod.createSyncClient(config.url, { statsIntervalMs: 0, clientId: name, ...(config.dbPath ? { dbPath: config.dbPath } : {}) });
  await client.connect();
  run = (count, tag) => viaClient(client, count, tag);
  done = () => client.close();
} else {
  run = bare;
}

await run(config.warmup, "warm");
console.log(JSON.stringify({ phase: "measuring" }));
const c0 = cpu();
const t0 = performance.now();
await run(config.count, "run");
const seconds = (performance.now() - t0) / 1000;
const cpuMs = cpu() - c0;
await done();
console.log(JSON.stringify({ events: config.count, seconds, perSecond: config.count / seconds, cpuUs: (cpuMs * 1000) / config.count }));
process.exit(0);
