#!/usr/bin/env bun
/**
 * The client's write path: one `createSyncClient` writer with WINDOW events in flight against
 * bare WebSocket writers on the same kind of embedded gateway, in one run. Each writer runs in a
 * process of its own (bench/support/client-writer.ts) against a fresh gateway, warms up, then
 * writes COUNT `CREATE_USER` events:
 *
 * - bare, `event` frames: the protocol by hand, one frame per event (the baseline);
 * - bare, `events` frames of 100: what batching frames gives a bare writer;
 * - createSyncClient in memory;
 * - createSyncClient with `dbPath` (persistent outbox and replica).
 *
 *   bun bench/client-writes.ts                          # COUNT=20000 WARMUP=5000 WINDOW=1000 ROUNDS=1
 *   ROUNDS=3 BASE=/path/to/older/checkout bun bench/client-writes.ts
 *
 * With BASE (a checkout of another commit with its node_modules), its client runs the two client
 * scenarios too, against this checkout's gateway. Acked events/s, CPU µs per event of the writer
 * process (its replica applies every event too) and of the gateway, and the ratio to the bare
 * writer of the same round.
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startGatewayProcess } from "../tests/support/gateway-process.ts";
import { cpuMs } from "./support/cpu-time.ts";

const COUNT = Number(process.env["COUNT"] ?? 20_000);
const WARMUP = Number(process.env["WARMUP"] ?? 5_000);
const WINDOW = Number(process.env["WINDOW"] ?? 1_000);
const ROUNDS = Number(process.env["ROUNDS"] ?? 1);
const BASE = process.env["BASE"] ?? null;
const WRITER = resolve(import.meta.dir, "support/client-writer.ts");

interface Scenario {
  readonly label: string;
  readonly mode: "bare" | "bare-batch" | "client";
  readonly persistent?: boolean;
  readonly module?: string;
}

interface Result {
  readonly label: string;
  readonly perSecond: number;
  readonly writerCpuUs: number;
  readonly gatewayCpuUs: number;
}

const scenarios: Scenario[] = [
  { label: "bare WebSocket, event frames", mode: "bare" },
  { label: "bare WebSocket, events frames of 100", mode: "bare-batch" },
  { label: "createSyncClient, in memory", mode: "client" },
  { label: "createSyncClient, dbPath", mode: "client", persistent: true },
  ...(BASE === null
    ? []
    : ([
        { label: "createSyncClient, in memory (base)", mode: "client", module: `${BASE}/packages/client/src/index.ts` },
        { label: "createSyncClient, dbPath (base)", mode: "client", persistent: true, module: `${BASE}/packages/client/src/index.ts` },
      ] as Scenario[])),
];

async function run(s: Scenario): Promise<Result> {
  await using gw = await startGatewayProcess({ args: ["--rate-limit", "0"], env: { LOG_LEVEL: "info" } });
  const dir = mkdtempSync(join(tmpdir(), "client-writes-"));
  try {
    const config = {
      url: gw.url,
      mode: s.mode,
      count: COUNT,
      warmup: WARMUP,
      window: WINDOW,
      perFrame: 100,
      ...(s.module === undefined ? {} : { module: s.module }),
      ...(s.persistent ? { dbPath: join(dir, "writer.kuzu") } : {}),
    };
    const child = Bun.spawn(["bun", WRITER, JSON.stringify(config)], { stdout: "pipe", stderr: "inherit" });
    let g0 = 0;
    let result: { perSecond: number; cpuUs: number } | null = null;
    let gatewayMs = 0;
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of child.stdout) {
      buffer += decoder.decode(chunk, { stream: true });
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        const msg = JSON.parse(line) as { phase?: string; perSecond?: number; cpuUs?: number };
        if (msg.phase === "measuring") g0 = cpuMs(gw.proc.pid);
        else if (msg.perSecond !== undefined) {
          gatewayMs = cpuMs(gw.proc.pid) - g0;
          result = { perSecond: msg.perSecond, cpuUs: msg.cpuUs! };
        }
      }
    }
    if ((await child.exited) !== 0 || result === null) throw new Error(`${s.label}: writer failed`);
    return { label: s.label, perSecond: result.perSecond, writerCpuUs: result.cpuUs, gatewayCpuUs: (gatewayMs * 1000) / COUNT };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadNow = async () => (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
const load = [await loadNow()];
const rounds: Result[][] = [];
for (let r = 0; r < ROUNDS; r++) {
  const results: Result[] = [];
  for (const s of scenarios) results.push(await run(s));
  rounds.push(results);
  load.push(await loadNow());
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
console.log(`COUNT=${COUNT} WARMUP=${WARMUP} WINDOW=${WINDOW} ROUNDS=${ROUNDS} (bun ${Bun.version}, ${navigator.hardwareConcurrency} cores; load average ${load.join(" → ")})`);
console.log("| round | writer | acked events/s | × bare (event frames) | CPU µs/event: writer process | gateway |");
console.log("| ---: | --- | ---: | ---: | ---: | ---: |");
for (const [i, results] of rounds.entries()) {
  const base = results[0]!.perSecond;
  for (const r of results) {
    console.log(`| ${i + 1} | ${r.label} | ${fmt(r.perSecond)} | ${(r.perSecond / base).toFixed(2)} | ${r.writerCpuUs.toFixed(1)} | ${r.gatewayCpuUs.toFixed(1)} |`);
  }
}
