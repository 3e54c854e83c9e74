import { createSyncClient } from "@kuzu-sync/client";
import { Replica } from "@kuzu-sync/replica";
import { startGatewayProcess } from "../tests/support/gateway-process.ts";
const N = 50000;
await using gw = await startGatewayProcess({ args: ["--rate-limit", "0"] });
const w = new WebSocket(gw.url); await new Promise((ok) => (w.onopen = ok));
w.send(JSON.stringify({ type: "hello", clientId: "bench-writer", lastSeq: 0 }));
let acks = 0; const done = new Promise<void>((ok) => (w.onmessage = (m) => { if (String(m.data).startsWith('{"type":"ack"') && ++acks === N) ok(); }));
for (let i = 0; i < N; i++) w.send(JSON.stringify({ type: "event", event: { id: `b-${i}`, template: "CREATE_USER", params: { id: `user-${i}`, name: `User number ${i}`, email: `user${i}@example.com` }, clientId: "bench-writer", timestamp: Date.now() } }));
await done; w.close();
for (;;) { const h: any = await (await fetch(`${gw.httpUrl}/health`)).json(); if (h.replicaSeq >= N) break; await Bun.sleep(50); }
const orig = Replica.prototype.apply; let applyMs = 0; const sizes: number[] = [];
let first = 0, lastEnd = 0;
const origI = Replica.prototype.install;
Replica.prototype.install = async function (reg) { const t = performance.now(); await origI.call(this, reg); marks.push(`install ${(t - T0).toFixed(0)}→${(performance.now() - T0).toFixed(0)}`); };
Replica.prototype.apply = async function (ev) { const t = performance.now(); if (!first) first = t; const r = await orig.call(this, ev); lastEnd = performance.now(); applyMs += lastEnd - t; sizes.push(ev.length); return r; };
let T0 = 0; const marks: string[] = [];
const OrigWS = globalThis.WebSocket;
(globalThis as any).WebSocket = class extends OrigWS { constructor(u: any, p?: any) { super(u, p); marks.push(`ws created ${(performance.now()-T0).toFixed(0)}`); this.addEventListener("open", () => marks.push(`open ${(performance.now()-T0).toFixed(0)}`)); let n = 0; this.addEventListener("message", (m: any) => { const t = String(m.data).slice(0, 20); if (n++ < 3 || t.includes("live")) marks.push(`${t} ${(performance.now()-T0).toFixed(0)}`); }); } };
for (let k = 0; k < 2; k++) {
  marks.length = 0; T0 = performance.now();
  applyMs = 0; sizes.length = 0; first = 0;
  const c = createSyncClient(gw.url, { statsIntervalMs: 0, useSnapshots: false });
  const c0 = process.cpuUsage(); const t0 = performance.now();
  await c.connect();
  const ms = performance.now() - t0; const cpu = process.cpuUsage(c0);
  console.log(`catch-up ${(N / (ms / 1000)).toFixed(0)}/s total ${ms.toFixed(0)} ms, apply ${applyMs.toFixed(0)} ms, batches ${sizes.length} (avg ${(N / sizes.length).toFixed(0)}), first apply at ${(first - t0).toFixed(0)} ms, connect resolves ${(t0 + ms - lastEnd).toFixed(0)} ms after last apply, client CPU ${((cpu.user + cpu.system) / N).toFixed(1)} µs/ev`);
  await c.close(); console.log(marks.join(" | "));
}
