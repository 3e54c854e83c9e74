#!/usr/bin/env bun
/**
 * A process holding N real SyncClients, to be SIGSTOPped by a test: a stopped process reads
 * nothing, so the gateway's buffers for its sockets grow — a realistic slow consumer. After
 * SIGCONT its clients reconnect and catch up by themselves.
 *
 *   bun slow-consumer-child.ts <url> <count>
 * stdin (JSON lines):  {"cmd":"wait","seq":N}  → one "caught-up" line when every replica applied N
 * stdout (JSON lines): {"type":"ready"}, {"type":"caught-up","clients":[...]}
 * @module
 */
import { createSyncClient, type SyncClient } from "@kuzu-sync/client";
import { graphState } from "./clients.ts";

const [url, countArg] = process.argv.slice(2);
if (!url) throw new Error("usage: slow-consumer-child.ts <url> <count>");
const count = Number(countArg ?? 5);

interface Tracked {
  readonly client: SyncClient;
  readonly applied: number[];
  readonly disconnects: number[];
  readonly errors: string[];
}

const tracked: Tracked[] = Array.from({ length: count }, (_, i) => {
  const client = createSyncClient(url, { clientId: `slow-${i}`, statsIntervalMs: 0, backoff: { initialDelayMs: 20, maxDelayMs: 300 }, connectTimeoutMs: 60_000 });
  const t: Tracked = { client, applied: [], disconnects: [], errors: [] };
  // Every seq the replica applies: DML events and registry events (the log's genesis at seq 1).
  client.on("event", (e) => t.applied.push(e.seq));
  client.on("registry", (r) => t.applied.push(r.seq));
  client.on("disconnected", (d) => t.disconnects.push(d.code));
  client.on("error", (e) => t.errors.push(`${e.code}: ${e.message}`));
  return t;
});

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

await Promise.all(tracked.map((t) => t.client.connect()));
print({ type: "ready" });

for await (const line of console) {
  const cmd = JSON.parse(line) as { cmd: string; seq?: number };
  if (cmd.cmd === "wait") {
    await Promise.all(tracked.map((t) => t.client.waitForSeq(cmd.seq!, 60_000)));
    const clients = [];
    for (const t of tracked) {
      clients.push({
        clientId: t.client.clientId,
        lastAppliedSeq: t.client.lastAppliedSeq,
        // Applied exactly 1..n, each once, in order: no gap, no duplicate.
        contiguous: t.applied.every((seq, i) => seq === i + 1),
        appliedCount: t.applied.length,
        disconnects: t.disconnects,
        errors: t.errors,
        state: await graphState(t.client),
      });
    }
    print({ type: "caught-up", clients });
  } else if (cmd.cmd === "close") {
    await Promise.all(tracked.map((t) => t.client.close()));
    break;
  }
}
process.exit(0);
