#!/usr/bin/env bun
/**
 * Flood benchmark: one client floods a real gateway (rate-limited with RATE_LIMIT=1000, then with the limit
 * off) while another client sends one event at a time; the probe's send→ack latency is measured
 * unloaded and loaded in the same run, and the ratio printed. The flooder runs in its own
 * process so the probe's numbers are not its event loop's.
 *
 *   bun bench/flood.ts                  # 1000 probe samples per phase
 *   bun bench/flood.ts --samples 3000
 * @module
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { startGatewayProcess } from "../tests/support/gateway-process.ts";

const { values } = parseArgs({ options: { samples: { type: "string", default: "1000" }, window: { type: "string", default: "2000" } } });
const SAMPLES = Number(values.samples);
const FLOODER = resolve(import.meta.dir, "support/flooder.ts");

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** A client that sends one event, waits for its ack, and repeats. */
async function openProbe(url: string): Promise<{ measure(n: number): Promise<{ p50: number; p99: number }>; close(): void }> {
  const ws = new WebSocket(url);
  await new Promise<void>((ok, fail) => ((ws.onopen = () => ok()), (ws.onerror = () => fail(new Error("probe cannot connect")))));
  let waiting: ((id: string) => void) | null = null;
  const live = new Promise<void>((ok) => {
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as { type: string; id?: string; code?: string };
      if (msg.type === "live") ok();
      else if (msg.type === "ack") waiting?.(msg.id!);
      else if (msg.type === "reject") throw new Error(`probe event rejected: ${msg.code}`);
    };
  });
  ws.send(JSON.stringify({ type: "hello", clientId: "probe", lastSeq: 0 }));
  await live;
  let n = 0;
  return {
    async measure(count) {
      const latencies: number[] = [];
      for (let i = 0; i < count; i++) {
        const id = `probe-${++n}`;
        const acked = new Promise<void>((ok) => (waiting = (got) => got === id && ok()));
        const t0 = performance.now();
        ws.send(JSON.stringify({ type: "event", event: { id, template: "INCREMENT_COUNTER", params: { counterId: "probe" }, clientId: "probe", timestamp: Date.now() } }));
        await acked;
        latencies.push(performance.now() - t0);
      }
      latencies.sort((a, b) => a - b);
      return { p50: pct(latencies, 50), p99: pct(latencies, 99) };
    },
    close: () => ws.close(),
  };
}

/** `steady`: measure only once the flooder has used up its burst (its first RATE_LIMITED). */
async function scenario(name: string, args: string[], steady: boolean): Promise<string[]> {
  await using gw = await startGatewayProcess({ args });
  const probe = await openProbe(gw.url);
  try {
    await probe.measure(200); // warm-up
    const unloaded = await probe.measure(SAMPLES);
    const flooder = Bun.spawn(["bun", FLOODER, gw.url, values.window!], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    const lines = flooder.stdout.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    const nextLine = async (): Promise<Record<string, unknown>> => {
      for (;;) {
        const nl = buf.indexOf("\n");
        if (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          return JSON.parse(line) as Record<string, unknown>;
        }
        const { value, done } = await lines.read();
        if (done) throw new Error("flooder exited");
        buf += decoder.decode(value, { stream: true });
      }
    };
    try {
      await nextLine(); // started
      if (steady) await nextLine(); // limited: the burst is spent, the steady rate applies
      const loaded = await probe.measure(SAMPLES);
      flooder.stdin.write("stop\n");
      const totals = (await nextLine()) as { seconds: number; sent: number; acked: number; limited: number };
      const rate = (n: number) => Math.round(n / totals.seconds).toLocaleString("en-US");
      return [
        `${name}:`,
        `  probe send→ack  unloaded p50 ${unloaded.p50.toFixed(2)} ms, p99 ${unloaded.p99.toFixed(2)} ms`,
        `  probe send→ack  loaded   p50 ${loaded.p50.toFixed(2)} ms, p99 ${loaded.p99.toFixed(2)} ms`,
        `  ratio loaded/unloaded    p50 ${(loaded.p50 / unloaded.p50).toFixed(2)}×, p99 ${(loaded.p99 / unloaded.p99).toFixed(2)}×`,
        `  flooder: ${rate(totals.sent)} frames/s sent, ${rate(totals.acked)} events/s stored, ${rate(totals.limited)}/s RATE_LIMITED (over the ${totals.seconds.toFixed(1)} s measured)`,
      ];
    } finally {
      flooder.kill();
      await flooder.exited;
    }
  } finally {
    probe.close();
  }
}

console.log(`kuzu-sync flood benchmark: ${SAMPLES} probe events per phase, flooder window ${values.window} (bun ${Bun.version}, ${navigator.hardwareConcurrency} cores)`);
for (const line of await scenario("rate limit on (RATE_LIMIT=1000, burst 10000), measured after the burst is spent", ["--rate-limit", "1000", "--rate-limit-burst", "10000"], true)) console.log(line);
for (const line of await scenario("rate limit off (--rate-limit 0)", ["--rate-limit", "0"], false)) console.log(line);
