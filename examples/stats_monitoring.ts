/**
 * A client sends a mix of template events every few seconds while its DML statistics report
 * (sent, received, applied, failed per template) prints every 5 seconds.
 *
 *   bun run server                                # in another terminal
 *   bun run examples/stats_monitoring.ts          # Ctrl-C to stop
 *
 * Environment: SYNC_URL (default ws://localhost:8080), SEND_INTERVAL_MS (2000),
 * STATS_INTERVAL_MS (5000), DURATION_MS (run until Ctrl-C when unset). Exit codes as sync-client's:
 * 0 done, 3 no gateway reachable.
 * @module
 */
import { createSyncClient, SyncError } from "@kuzu-sync/client";

const url = process.env["SYNC_URL"] ?? "ws://localhost:8080";
const sendEveryMs = Number(process.env["SEND_INTERVAL_MS"] ?? 2_000);
const statsEveryMs = Number(process.env["STATS_INTERVAL_MS"] ?? 5_000);
const durationMs = process.env["DURATION_MS"] === undefined ? null : Number(process.env["DURATION_MS"]);

if (!(await gatewayReachable(url))) {
  console.error(`No sync-server is reachable at ${url}. Start one with "bun run server" (or set SYNC_URL).`);
  process.exit(3); // as sync-client: 3 = the gateway is unavailable
}

const client = createSyncClient(url, {
  statsIntervalMs: statsEveryMs,
  onStatsReport: (report) => console.log(`\n${report}\n`),
});
await client.connect();
console.log(`connected to ${url} as ${client.clientId}; replica at seq ${client.lastAppliedSeq}`);
console.log(`sending a few events every ${sendEveryMs} ms, statistics every ${statsEveryMs} ms`);

// Ids unique to this run, so reruns against the same gateway do not overwrite each other.
const run = Date.now().toString(36);
let tick = 0;

/** One round: a new user, a post, a follow, counter increments, and now and then an event that fails. */
function round(): [string, Record<string, unknown>][] {
  const n = ++tick;
  const user = `${run}-u${n}`;
  const events: [string, Record<string, unknown>][] = [
    ["CREATE_USER", { id: user, name: `User ${n}` }],
    ["CREATE_POST", { id: `${run}-p${n}`, authorId: user, content: `post number ${n}` }],
    ["INCREMENT_COUNTER", { counterId: `${run}-visits`, amount: n }],
  ];
  if (n > 1) events.push(["FOLLOW_USER", { followerId: user, targetId: `${run}-u${n - 1}` }]);
  // Rejected by the server (missing name): counted as failed in the report.
  if (n % 3 === 0) events.push(["CREATE_USER", { id: `${run}-broken${n}` }]);
  return events;
}

async function sendRound(): Promise<void> {
  for (const [template, params] of round()) {
    try {
      const { seq } = await client.executeTemplate(template, params);
      console.log(`sent ${template.padEnd(17)} seq ${seq}`);
    } catch (error) {
      const code = error instanceof SyncError ? error.code : "ERROR";
      console.log(`sent ${template.padEnd(17)} rejected: ${code}`);
    }
  }
}

let stopping = false;
const timer = setInterval(() => void sendRound(), sendEveryMs);
await sendRound();

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  console.log(`\nfinal statistics:\n${client.formatStatsReport()}`);
  await client.close();
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
if (durationMs !== null) setTimeout(() => void stop(), durationMs);

async function gatewayReachable(wsUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${wsUrl.replace(/^ws/, "http")}/health`, { signal: AbortSignal.timeout(3_000) });
    return response.ok;
  } catch {
    return false;
  }
}
