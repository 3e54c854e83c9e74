/**
 * Child process for the durable-outbox test: a persistent client whose gateway is down hands
 * `count` events to executeTemplate (they can only go to the outbox), reports once they are in
 * the outbox file (written at the end of the turn, all in one transaction), and waits to be
 * killed. argv: url dbPath count
 * @module
 */
import { Database } from "bun:sqlite";
import { createSyncClient } from "@kuzu-sync/client";

const [url, dbPath, count] = process.argv.slice(2) as [string, string, string];
const client = createSyncClient(url, { dbPath, statsIntervalMs: 0, connectTimeoutMs: 600_000 });
void client.connect().catch(() => {});
const sends = Array.from({ length: Number(count) }, () => client.executeTemplate("INCREMENT_COUNTER", { counterId: "durable", amount: 1 }));
for (const s of sends) s.catch(() => {});
/** Rows in the outbox file, through a connection of this test's own: what a crash leaves. */
function onDisk(): number {
  const db = new Database(`${dbPath}.outbox.sqlite`, { readonly: true });
  try {
    return db.query<{ n: number }, []>("SELECT count(*) AS n FROM outbox").get()?.n ?? 0;
  } finally {
    db.close();
  }
}
while (client.pendingCount < Number(count) || onDisk() < Number(count)) await Bun.sleep(5);
console.log(JSON.stringify({ pending: client.pendingCount, clientId: client.clientId }));
await new Promise(() => {});
