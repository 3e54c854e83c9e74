/**
 * Two replicas of one graph, each a local KuzuDB kept in sync through the gateway: replica A
 * writes, replica B sees the change (and the other way round).
 *
 *   bun run server                      # in another terminal
 *   bun run examples/two_replicas.ts
 *
 * Environment: SYNC_URL (default ws://localhost:8080). Exit codes as sync-client's: 0 done,
 * 1 failed, 3 no gateway reachable.
 * @module
 */
import { createSyncClient } from "@kuzu-sync/client";

const url = process.env["SYNC_URL"] ?? "ws://localhost:8080";

if (!(await gatewayReachable(url))) {
  console.error(`No sync-server is reachable at ${url}. Start one with "bun run server" (or set SYNC_URL).`);
  process.exit(3); // as sync-client: 3 = the gateway is unavailable
}

// In-memory replicas: each replays the gateway's history on connect, then follows it live.
const a = createSyncClient(url, { statsIntervalMs: 0 });
const b = createSyncClient(url, { statsIntervalMs: 0 });
try {
  await Promise.all([a.connect(), b.connect()]);
  console.log(`replica A and replica B connected to ${url}, both at seq ${a.lastAppliedSeq}`);
  b.on("event", (e) => {
    if (e.clientId === a.clientId) console.log(`  replica B applied #${e.seq} ${e.template} ${JSON.stringify(e.params)} (written by A)`);
  });
  a.on("event", (e) => {
    if (e.clientId === b.clientId) console.log(`  replica A applied #${e.seq} ${e.template} ${JSON.stringify(e.params)} (written by B)`);
  });

  const id = `alice-${Date.now().toString(36)}`;
  const readUser = "MATCH (u:User {id: $id}) RETURN u.id AS id, u.name AS name";

  const created = await a.executeTemplate("CREATE_USER", { id, name: "Alice" });
  console.log(`A: CREATE_USER ${id} -> seq ${created.seq}`);
  await b.waitForSeq(created.seq);
  console.log(`B reads: ${JSON.stringify(await b.query(readUser, { id }))}`);

  const renamed = await a.executeTemplate("UPDATE_USER", { id, name: "Alice Liddell" });
  console.log(`A: UPDATE_USER ${id} -> seq ${renamed.seq}`);
  await b.waitForSeq(renamed.seq);
  console.log(`B reads: ${JSON.stringify(await b.query(readUser, { id }))}`);

  const counter = `${id}-likes`;
  const liked = await b.executeTemplate("INCREMENT_COUNTER", { counterId: counter, amount: 3 });
  console.log(`B: INCREMENT_COUNTER ${counter} +3 -> seq ${liked.seq}`);
  await a.waitForSeq(liked.seq);
  console.log(`A reads: ${JSON.stringify(await a.query("MATCH (c:Counter {id: $id}) RETURN c.id AS id, c.value AS value", { id: counter }))}`);

  const same = JSON.stringify(await a.query(readUser, { id })) === JSON.stringify(await b.query(readUser, { id }));
  console.log(same ? "both replicas hold the same graph" : "replicas differ (this is a bug)");
  if (!same) process.exitCode = 1;
} finally {
  await Promise.all([a.close(), b.close()]);
}

async function gatewayReachable(wsUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${wsUrl.replace(/^ws/, "http")}/health`, { signal: AbortSignal.timeout(3_000) });
    return response.ok;
  } catch {
    return false;
  }
}
