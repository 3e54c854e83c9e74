#!/usr/bin/env bun
/**
 * Mixed-workload benchmark (issue 13): interleaved templates through a real gateway process and
 * the public client API. For each mix (social, chat, hub; 20k events by default): one SyncClient
 * pipelines the events (`executeTemplate`) and its own replica applies them live; the gateway's
 * server replica applies them too (`/health` replicaSeq); then a new SyncClient replays the whole
 * history (catch-up, snapshot offers declined). Baselines from the same run: the same events built
 * directly in Kuzu grouped by template (one UNWIND per template), and naive (one autocommitted
 * statement per event). Then the sustained test (social mix at a fixed rate; the server replica's
 * lag at the end) and the hub-degree test (posts by an author with 50k posts, through a replica).
 *
 *   bun bench/mixed.ts
 *   bun bench/mixed.ts --events 20000 --mixes social,chat,hub --sustain-rate 5000 --sustain-seconds 60
 *   bun bench/mixed.ts --sustain-seconds 0 --hub-degree 0   # the three mixes only
 *   bun bench/mixed.ts --mixes "" --hub-degree 0 --sustain-client   # the sustained test, writer a SyncClient
 * @module
 */
import { parseArgs } from "node:util";
import { createSyncClient } from "@kuzu-sync/client";
import { exampleRegistry, type SequencedEvent, type TemplateRegistry } from "@kuzu-sync/protocol";
import { Replica } from "@kuzu-sync/replica";
import { startGatewayProcess } from "../tests/support/gateway-process.ts";
import { health, waitForReplica } from "../tests/support/health.ts";
import chatRegistry, { CHAT_TEMPLATES_PATH } from "../tests/support/chat-registry.ts";
import { cpuMs } from "./support/cpu-time.ts";
import { groupedRate, naiveRate } from "./support/direct-kuzu.ts";
import { chatMix, hubMix, socialMix, type Draft, type Mix } from "./support/mixes.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    naive: { type: "string", default: "3000" },
    mixes: { type: "string", default: "social,chat,hub" },
    window: { type: "string", default: "10000" },
    "sustain-rate": { type: "string", default: "5000" },
    "sustain-seconds": { type: "string", default: "60" },
    "hub-degree": { type: "string", default: "50000" },
    "sustain-client": { type: "boolean", default: false },
  },
});
const N = Number(values.events);
const NAIVE_N = Number(values.naive);
const WINDOW = Number(values.window);
const SUSTAIN_RATE = Number(values["sustain-rate"]);
const SUSTAIN_SECONDS = Number(values["sustain-seconds"]);
const HUB_DEGREE = Number(values["hub-degree"]);

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

/** Validated (defaults filled in) so every path binds the same values. */
function normalise(registry: TemplateRegistry, mix: Mix): Mix {
  const events = mix.events.map((d) => {
    const v = registry.validate(d.template, d.params);
    if (!v.ok) throw new Error(`${mix.name}: ${v.message}`);
    return { template: d.template, params: v.params };
  });
  return { ...mix, events };
}

/** Counts applied events; resolves when all `n` are in, and remembers when. */
class Progress {
  readonly #n: number;
  #count = 0;
  #doneAt = 0;
  readonly #finished: Promise<void>;
  #resolve!: () => void;
  constructor(n: number) {
    this.#n = n;
    this.#finished = new Promise((resolve) => (this.#resolve = resolve));
  }
  applied(): void {
    if (++this.#count === this.#n) (this.#doneAt = performance.now()), this.#resolve();
  }
  get finished(): Promise<void> {
    return this.#finished;
  }
  get doneAt(): number {
    return this.#doneAt;
  }
}

interface GatewayFigures {
  acked: number;
  live: number;
  serverReplica: number;
  catchUp: number;
  failed: number;
  /** CPU µs per event while sending and applying live (until the server replica had all). */
  gatewayCpuUs: number;
  benchCpuUs: number;
}

/** Send `events` through a writer SyncClient (its replica is the live one), then a catch-up client. */
async function gatewayRun(events: readonly Draft[], templatesPath: string | null): Promise<GatewayFigures> {
  await using gw = await startGatewayProcess({ args: ["--rate-limit", "0", ...(templatesPath ? ["--templates", templatesPath] : [])] });
  const writer = createSyncClient(gw.url, { statsIntervalMs: 0, useSnapshots: false });
  const live = new Progress(events.length);
  let failed = 0;
  writer.on("event", (e) => {
    if (!e.ok) failed++;
    live.applied();
  });
  try {
    await writer.connect();
    let inFlight = 0;
    let acked = 0;
    let wake: (() => void) | null = null;
    let ackedAll!: () => void;
    const allAcked = new Promise<void>((resolve) => (ackedAll = resolve));
    const gatewayCpu0 = cpuMs(gw.proc.pid);
    const benchCpu0 = cpuMs();
    const t0 = performance.now();
    for (let i = 0; i < events.length; i++) {
      while (inFlight >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
      inFlight++;
      const e = events[i]!;
      void writer.executeTemplate(e.template, e.params, { id: `mixed-${i}` }).then(
        () => {
          inFlight--;
          if (++acked === events.length) ackedAll();
          wake?.();
          wake = null;
        },
        (error: unknown) => {
          throw error;
        },
      );
    }
    await allAcked;
    const ackedAt = performance.now();
    await live.finished;
    await waitForReplica(gw.httpUrl, events.length, 600_000);
    const replicaAt = performance.now();
    const gatewayCpuUs = ((cpuMs(gw.proc.pid) - gatewayCpu0) * 1000) / events.length;
    const benchCpuUs = ((cpuMs() - benchCpu0) * 1000) / events.length;
    // Catch-up: a new client replays the whole history from the idle gateway.
    const newcomer = createSyncClient(gw.url, { statsIntervalMs: 0, useSnapshots: false });
    const catchUp = new Progress(events.length);
    newcomer.on("event", () => catchUp.applied());
    const c0 = performance.now();
    await newcomer.connect();
    await catchUp.finished;
    const catchUpMs = catchUp.doneAt - c0;
    await newcomer.close();
    return {
      acked: events.length / ((ackedAt - t0) / 1000),
      live: events.length / ((live.doneAt - t0) / 1000),
      serverReplica: events.length / ((replicaAt - t0) / 1000),
      catchUp: events.length / (catchUpMs / 1000),
      failed,
      gatewayCpuUs,
      benchCpuUs,
    };
  } finally {
    await writer.close();
  }
}

/**
 * The replica alone, in this process (no gateway, no network): the setup applied at once, then
 * the rest of the mix in windows of `window` events; events/s overall, and over the first and the
 * last tenth of the windows after the setup (same mix of templates, growing tables and degrees).
 */
async function replicaRun(events: readonly Draft[], setup: number, registry: TemplateRegistry, window = 1_000): Promise<{ rate: number; first: number; last: number }> {
  const replica = await Replica.open({});
  try {
    await replica.install(registry.toWire());
    const sequenced = events.map((d, i): SequencedEvent => ({ id: `r${i}`, template: d.template, params: d.params, clientId: "bench", timestamp: 0, seq: i + 1, serverTimestamp: 0 }));
    const times: number[] = [];
    const t0 = performance.now();
    await replica.apply(sequenced.slice(0, setup));
    for (let i = setup; i < sequenced.length; i += window) {
      const w0 = performance.now();
      await replica.apply(sequenced.slice(i, i + window));
      times.push(performance.now() - w0);
    }
    const total = performance.now() - t0;
    const tenth = Math.max(1, Math.round(times.length / 10));
    const rate = (ms: number[]) => (ms.length * window) / (ms.reduce((a, b) => a + b, 0) / 1000);
    return { rate: events.length / (total / 1000), first: rate(times.slice(0, tenth)), last: rate(times.slice(-tenth)) };
  } finally {
    await replica.close();
  }
}

function printTable(rows: string[][]): void {
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(...rows.map((r) => r[1]!.length));
  for (const [a, b, c] of rows) console.log(`  ${a!.padEnd(w0)}  ${b!.padStart(w1)}  ${c ?? ""}`);
}

async function mixRun(mix: Mix, registry: TemplateRegistry, templatesPath: string | null): Promise<void> {
  const counts = new Map<string, number>();
  for (const e of mix.events) counts.set(e.template, (counts.get(e.template) ?? 0) + 1);
  console.log(`\n${mix.name} mix: ${fmt(mix.events.length)} events (${[...counts].map(([t, n]) => `${t} ${fmt(n)}`).join(", ")})`);
  const g = await gatewayRun(mix.events, templatesPath);
  const direct = await groupedRate(registry.toWire(), mix.events);
  const alone = await replicaRun(mix.events, mix.setup, registry);
  const naive = await naiveRate(registry.toWire(), mix.events, mix.setup, Math.min(NAIVE_N, mix.events.length - mix.setup));
  printTable([
    ["gateway: acked events/s", fmt(g.acked), ""],
    ["live replica (writer's SyncClient): applied events/s", fmt(g.live), `${ratio(g.live, direct)} direct grouped (target ≥ 0.5); ${ratio(g.live, naive)} naive (target ≥ 5)`],
    ["catch-up (new SyncClient): applied events/s", fmt(g.catchUp), `${ratio(g.catchUp, direct)} direct grouped (target ≥ 0.7); ${ratio(g.catchUp, naive)} naive (target ≥ 5)`],
    ["server replica: applied events/s", fmt(g.serverReplica), `${ratio(g.serverReplica, g.acked)} acked`],
    ["replica alone (in process, windows of 1000): events/s", fmt(alone.rate), `${ratio(alone.rate, direct)} direct grouped`],
    ["replica alone, after the setup: first / last 10% events/s", `${fmt(alone.first)} / ${fmt(alone.last)}`, `last ${ratio(alone.last, alone.first)} first${mix.name === "hub" ? " (target ≥ 0.8)" : ""}`],
    ["baseline: direct grouped Kuzu events/s", fmt(direct), "one UNWIND of the batch form per template and ≤ 2000 rows, template by template"],
    ["baseline: naive Kuzu events/s", fmt(naive), `one autocommitted statement per event (${fmt(Math.min(NAIVE_N, mix.events.length - mix.setup))} events after the setup)`],
    ["CPU per event: gateway / bench process", `${g.gatewayCpuUs.toFixed(0)} / ${g.benchCpuUs.toFixed(0)} µs`, "gateway: validate, log, ack, fan-out, server replica; bench: writer and its replica"],
    ["events that failed to apply", fmt(g.failed), ""],
  ]);
}

/**
 * Social mix at a fixed rate for a while: the server replica's lag behind the head at the end.
 * The writer speaks the wire protocol directly (like bench/e2e.ts): a SyncClient would keep a
 * replica of its own, a third Kuzu on the same 2 cores as the gateway and its server replica,
 * which is what this measures; `--sustain-client` uses a SyncClient anyway.
 */
async function sustainedRun(rate: number, seconds: number, viaClient: boolean): Promise<void> {
  const mix = normalise(exampleRegistry, socialMix(rate * seconds, {}, 23));
  console.log(`\nsustained: social mix at ${fmt(rate)} events/s for ${seconds} s (${fmt(mix.events.length)} events; writer: ${viaClient ? "SyncClient" : "wire protocol"})`);
  await using gw = await startGatewayProcess({ args: ["--rate-limit", "0"] });
  const client = viaClient ? createSyncClient(gw.url, { statsIntervalMs: 0, useSnapshots: false }) : null;
  let ws: WebSocket | null = null;
  let acked = 0;
  try {
    let send: (e: Draft, id: string) => void;
    if (client) {
      await client.connect();
      send = (e, id) => void client.executeTemplate(e.template, e.params, { id }).then(() => acked++);
    } else {
      const socket = (ws = new WebSocket(gw.url));
      await new Promise<void>((ok, fail) => ((socket.onopen = () => ok()), (socket.onerror = () => fail(new Error("writer cannot connect")))));
      socket.onmessage = (m) => {
        const text = String(m.data);
        if (text.startsWith('{"type":"ack"')) acked++;
        else if (text.startsWith('{"type":"reject"') || text.startsWith('{"type":"error"')) throw new Error(`gateway said ${text.slice(0, 200)}`);
      };
      socket.send(JSON.stringify({ type: "hello", clientId: "bench-sustain", lastSeq: 0 }));
      send = (e, id) => socket.send(JSON.stringify({ type: "event", event: { id, template: e.template, params: e.params, clientId: "bench-sustain", timestamp: Date.now() } }));
    }
    const tick = 20;
    const perTick = Math.max(1, Math.round((rate * tick) / 1000));
    const gatewayCpu0 = cpuMs(gw.proc.pid);
    const t0 = performance.now();
    const samples: string[] = [];
    let sent = 0;
    let nextSample = 10_000;
    while (sent < mix.events.length) {
      const due = Math.min(mix.events.length, Math.floor(((performance.now() - t0) / 1000) * rate) + perTick);
      for (; sent < due; sent++) send(mix.events[sent]!, `sustain-${sent}`);
      if (performance.now() - t0 >= nextSample) {
        const h = await health(gw.httpUrl);
        samples.push(`${Math.round(nextSample / 1000)} s: ${fmt(h.headSeq - h.replicaSeq)}`);
        nextSample += 10_000;
      }
      await Bun.sleep(tick);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const h = await health(gw.httpUrl);
    const lag = h.headSeq - h.replicaSeq;
    const gatewayCpu = (cpuMs(gw.proc.pid) - gatewayCpu0) / 1000 / elapsed;
    printTable([
      ["sent", `${fmt(sent)} in ${elapsed.toFixed(1)} s`, `${fmt(sent / elapsed)}/s; acked ${fmt(acked)}; head ${fmt(h.headSeq)}`],
      ["server replica at the end: lag", `${fmt(lag)} events`, `${(lag / rate).toFixed(2)} s of events (target < 1 s)`],
      ["server replica lag every 10 s (events)", samples.join("; "), ""],
      ["gateway process CPU", `${(gatewayCpu * 100).toFixed(0)}% of a core`, "validate, log, ack, fan-out and the server replica"],
    ]);
    const c0 = performance.now();
    await waitForReplica(gw.httpUrl, mix.events.length, 600_000);
    console.log(`  the server replica had applied everything ${((performance.now() - c0) / 1000).toFixed(1)} s after the last event was sent`);
  } finally {
    ws?.close();
    await client?.close();
  }
}

/**
 * Posts by one author that already has `degree` posts, through a replica (no gateway): batched
 * (windows of 2000) and one event at a time, at degree 0 and at `degree`.
 */
async function hubDegreeRun(degree: number): Promise<void> {
  console.log(`\nhub degree: CREATE_POST by one author, at 0 and at ${fmt(degree)} posts (a replica, in memory, no gateway)`);
  const replica = await Replica.open({});
  try {
    await replica.install(exampleRegistry.toWire());
    let seq = 0;
    const ev = (template: string, params: Record<string, unknown>): SequencedEvent => ({ id: `h${++seq}`, template, params, clientId: "bench", timestamp: 0, seq, serverTimestamp: 0 });
    await replica.apply(Array.from({ length: 1000 }, (_, i) => ev("CREATE_USER", { id: `u${i}`, name: `User ${i}`, email: null })));
    let post = 0;
    const posts = (n: number) => Array.from({ length: n }, () => ev("CREATE_POST", { id: `hp${post++}`, authorId: "u0", content: "hello" }));
    const timed = async (events: SequencedEvent[], window: number) => {
      const t0 = performance.now();
      for (let i = 0; i < events.length; i += window) await replica.apply(events.slice(i, i + window));
      return events.length / ((performance.now() - t0) / 1000);
    };
    const batchedLow = await timed(posts(2000), 2000);
    const singleLow = await timed(posts(200), 1);
    const fill = Math.max(0, degree - post);
    const t0 = performance.now();
    for (let i = 0; i < fill; i += 5000) await replica.apply(posts(Math.min(5000, fill - i)));
    const fillRate = fill / ((performance.now() - t0) / 1000);
    const batchedHigh = await timed(posts(2000), 2000);
    const singleHigh = await timed(posts(200), 1);
    const [{ n }] = (await replica.query("MATCH (u:User {id: 'u0'})-[:AUTHORED]->(p:Post) RETURN count(p) AS n")) as [{ n: number }];
    printTable([
      ["batched (windows of 2000): events/s at 0 / at degree", `${fmt(batchedLow)} / ${fmt(batchedHigh)}`, `${ratio(batchedHigh, batchedLow)}`],
      ["one event at a time: events/s at 0 / at degree", `${fmt(singleLow)} / ${fmt(singleHigh)}`, `${ratio(singleHigh, singleLow)}`],
      ["filling the hub (windows of 5000): events/s", fmt(fillRate), `hub has ${fmt(Number(n))} posts at the end`],
    ]);
  } finally {
    await replica.close();
  }
}

console.log(`kuzu-sync mixed-workload benchmark (bun ${Bun.version}); writer window ${fmt(WINDOW)} events in flight`);
for (const name of values.mixes.split(",").filter(Boolean)) {
  if (name === "social") await mixRun(normalise(exampleRegistry, socialMix(N)), exampleRegistry, null);
  else if (name === "hub") await mixRun(normalise(exampleRegistry, hubMix(N)), exampleRegistry, null);
  else if (name === "chat") await mixRun(normalise(chatRegistry, chatMix(N)), chatRegistry, CHAT_TEMPLATES_PATH);
  else throw new Error(`unknown mix ${name}; known: social, chat, hub`);
}
if (SUSTAIN_SECONDS > 0) await sustainedRun(SUSTAIN_RATE, SUSTAIN_SECONDS, values["sustain-client"]);
if (HUB_DEGREE > 0) await hubDegreeRun(HUB_DEGREE);
