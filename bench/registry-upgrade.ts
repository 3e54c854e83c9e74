#!/usr/bin/env bun
/**
 * Registry upgrade in place vs rebuilding from the log (issue 12): a deployment holds N items
 * (default 200 000) in its log, its server replica and two persistent client replicas; the gateway
 * restarts with version 2 of the registry (a column with a default, a new template), which appends
 * one registry event at seq S. Measured through the real gateway and the public client API:
 *
 * - upgrade in place: for the server replica and each persistent client, the time from the
 *   restarted gateway's "listening" line to that replica having applied S (clients: their
 *   `registry` event);
 * - the gateway's start-up with the new version (scratch checks, dry run of the steps on its
 *   replica, the append), from spawn to "listening";
 * - rebuild: a new client (no snapshot) replaying the log from seq 1 to S, in memory and persistent.
 *
 *   bun bench/registry-upgrade.ts                 # 200k items
 *   bun bench/registry-upgrade.ts --items 20000   # quick
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createSyncClient, type SyncClient } from "@kuzu-sync/client";
import { startGatewayProcess } from "../tests/support/gateway-process.ts";
import { waitForReplica } from "../tests/support/health.ts";

const { values } = parseArgs({ options: { items: { type: "string", default: "200000" } } });
const N = Number(values.items);
const registry = (v: number) => resolve(import.meta.dir, `support/registries/items-v${v}.ts`);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const data = mkdtempSync(join(tmpdir(), "bench-upgrade-"));
const clientsDir = mkdtempSync(join(tmpdir(), "bench-upgrade-clients-"));
const clients: SyncClient[] = [];
const open = (url: string, dbPath: string | null) => {
  const c = createSyncClient(url, { statsIntervalMs: 0, useSnapshots: false, ...(dbPath === null ? {} : { dbPath }), backoff: { initialDelayMs: 20, maxDelayMs: 200 } });
  clients.push(c);
  return c;
};

try {
  const args = (v: number) => ["--templates", registry(v), "--rate-limit", "0", "--snapshot-bootstrap-min", "0"];
  let gw = await startGatewayProcess({ dataDir: data, keepDataDir: true, args: args(1) });
  const port = gw.port;
  const followers = [open(gw.url, join(clientsDir, "a.kuzu")), open(gw.url, join(clientsDir, "b.kuzu"))];
  for (const f of followers) await f.connect();
  const writer = open(gw.url, null);
  await writer.connect();
  const filled = performance.now();
  let head = 0;
  for (let i = 0; i < N; i += 5_000) {
    const acks = await Promise.all(Array.from({ length: Math.min(5_000, N - i) }, (_, j) => writer.executeTemplate("PUT_ITEM", { id: `item-${i + j}`, name: `Item number ${i + j}` })));
    head = Math.max(head, ...acks.map((a) => a.seq));
  }
  for (const f of followers) await f.waitForSeq(head, 600_000);
  await waitForReplica(gw, head, 600_000);
  console.log(`history: ${fmt(N)} items (head seq ${fmt(head)}) written and applied by the server replica and 2 persistent clients in ${secs(performance.now() - filled)}`);
  await writer.close();

  // Version 2: restart the gateway with the new file; S = head + 1.
  await gw.stop();
  const S = head + 1;
  const upgraded = new Map<SyncClient, number>();
  for (const f of followers) f.on("registry", (r) => r.seq === S && upgraded.set(f, performance.now()));
  const spawned = performance.now();
  gw = await startGatewayProcess({ dataDir: data, port, keepDataDir: true, args: args(2) });
  const listening = performance.now();
  await waitForReplica(gw, S, 600_000);
  const serverReplica = performance.now() - listening;
  for (const f of followers) await f.waitForSeq(S, 600_000);
  const clientTimes = followers.map((f) => (upgraded.get(f) ?? Number.NaN) - listening);
  const inPlace = Math.max(serverReplica, ...clientTimes);

  // Rebuild: new replicas replay the log from seq 1 through S.
  const rebuild = async (dbPath: string | null): Promise<number> => {
    const started = performance.now();
    const c = open(gw.url, dbPath);
    await c.connect();
    await c.waitForSeq(S, 600_000);
    const ms = performance.now() - started;
    await c.close();
    return ms;
  };
  const rebuildMemory = await rebuild(null);
  const rebuildPersistent = await rebuild(join(clientsDir, "rebuilt.kuzu"));
  const check = await followers[0]!.query("MATCH (i:Item) RETURN count(i) AS n, sum(i.score) AS s");

  console.log(`\nregistry upgrade (ALTER TABLE Item ADD score INT64 DEFAULT 0, + SET_SCORE) at seq ${fmt(S)}, ${fmt(N)} items:`);
  console.log(`  gateway start-up with version 2 (checks, dry run, append)   ${secs(listening - spawned)}`);
  console.log(`  server replica past S after "listening"                      ${secs(serverReplica)}`);
  for (const [i, t] of clientTimes.entries()) console.log(`  persistent client ${i + 1} past S after "listening"                  ${secs(t)}`);
  console.log(`  rebuild from the log to S: in-memory client                  ${secs(rebuildMemory)}`);
  console.log(`  rebuild from the log to S: persistent client                 ${secs(rebuildPersistent)}`);
  console.log(`\n  upgrade in place (slowest replica) vs rebuild (fastest): ${(Math.min(rebuildMemory, rebuildPersistent) / inPlace).toFixed(1)}x faster (target >= 20x)`);
  console.log(`  check: ${JSON.stringify(check, (_, v) => (typeof v === "bigint" ? Number(v) : v))}`);
  await gw.stop();
} finally {
  await Promise.all(clients.map((c) => c.close()));
  rmSync(data, { recursive: true, force: true });
  rmSync(clientsDir, { recursive: true, force: true });
}
