#!/usr/bin/env bun
/**
 * JetStream benchmark: acknowledged events per second and ack latency (p50/p99) for the embedded
 * log, and for the JetStream log with one and with two gateways, in one run on this machine.
 *
 *   bun bench/jetstream.ts            # EVENTS=8000 WRITERS=8 WINDOW=32 by default
 *   EVENTS=20000 bun bench/jetstream.ts
 *
 * Writers are bare WebSockets speaking the protocol (no local replica), spread evenly over the
 * gateways, each keeping WINDOW events in flight; latency is send → ack as the writer sees it.
 * nats-server is a real single node with a file store (tests/support/nats-server.ts).
 * @module
 */
import { startGatewayProcess, type GatewayProcess } from "../tests/support/gateway-process.ts";
import { NatsServer } from "../tests/support/nats-server.ts";

const EVENTS = Number(process.env["EVENTS"] ?? 8_000);
const WRITERS = Number(process.env["WRITERS"] ?? 8);
const WINDOW = Number(process.env["WINDOW"] ?? 32);

interface Result {
  readonly scenario: string;
  readonly events: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

/** One writer: `count` INCREMENT_COUNTER events, WINDOW in flight; returns each ack latency (ms). */
async function writer(url: string, name: string, count: number): Promise<number[]> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
  });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let next = 0;
  let done!: () => void;
  let failed!: (e: Error) => void;
  const finished = new Promise<void>((resolve, reject) => ((done = resolve), (failed = reject)));
  const send = () => {
    const id = `${name}-${next++}`;
    sentAt.set(id, performance.now());
    ws.send(JSON.stringify({ type: "event", event: { id, template: "INCREMENT_COUNTER", params: { counterId: name }, clientId: name, timestamp: Date.now() } }));
  };
  let live = false;
  ws.onmessage = (m) => {
    const text = String(m.data);
    // Fan-out of everyone's events arrives here too; only acks, rejects and the handshake matter.
    if (text.startsWith('{"type":"events"')) return;
    const msg = JSON.parse(text) as { type: string; id?: string; code?: string };
    if (msg.type === "live" && !live) {
      live = true;
      for (let i = 0; i < Math.min(WINDOW, count); i++) send();
    } else if (msg.type === "ack") {
      latencies.push(performance.now() - sentAt.get(msg.id!)!);
      sentAt.delete(msg.id!);
      if (next < count) send();
      else if (sentAt.size === 0) done();
    } else if (msg.type === "reject" || msg.type === "error") {
      failed(new Error(`${msg.type} ${msg.code} for ${msg.id}`));
    }
  };
  ws.send(JSON.stringify({ type: "hello", clientId: name, lastSeq: 1e12 }));
  await finished;
  ws.close();
  return latencies;
}

async function run(scenario: string, gateways: readonly GatewayProcess[]): Promise<Result> {
  const started = performance.now();
  const per = Math.floor(EVENTS / WRITERS);
  const all = await Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(gateways[i % gateways.length]!.url, `${scenario}-w${i}`, per)));
  const seconds = (performance.now() - started) / 1000;
  const latencies = all.flat().sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { scenario, events: latencies.length, seconds, perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

// info: the test launcher reads the port from the "listening" line; events are logged at debug only.
const quiet = { LOG_LEVEL: "info" };
const results: Result[] = [];
{
  await using gw = await startGatewayProcess({ env: quiet });
  results.push(await run("embedded, 1 gateway", [gw]));
}
{
  await using nats = await NatsServer.start();
  const args = ["--log", "jetstream", "--nats-url", nats.url];
  {
    await using gw = await startGatewayProcess({ args: [...args, "--stream", "BENCH_ONE"], env: quiet });
    results.push(await run("jetstream, 1 gateway", [gw]));
  }
  {
    await using gw1 = await startGatewayProcess({ args: [...args, "--stream", "BENCH_TWO"], env: quiet });
    await using gw2 = await startGatewayProcess({ args: [...args, "--stream", "BENCH_TWO"], env: quiet });
    results.push(await run("jetstream, 2 gateways", [gw1, gw2]));
  }
}

console.log(`EVENTS=${EVENTS} WRITERS=${WRITERS} WINDOW=${WINDOW} (bun ${Bun.version}, ${navigator.hardwareConcurrency} cores)`);
console.log("| scenario | acked events | seconds | acked events/s | p50 ms | p99 ms |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(`| ${r.scenario} | ${r.events} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`);
}
