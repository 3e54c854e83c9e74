/**
 * Child process for the group-commit crash test: a persistent client connected to a live gateway
 * writes `count` CREATE_USER events with `window` in flight, and prints one line per event whose
 * executeTemplate() resolved (`<eventId> <seq>`), until it is killed. argv: url dbPath count window
 * @module
 */
import { createSyncClient } from "@kuzu-sync/client";

const [url, dbPath, count, window] = process.argv.slice(2) as [string, string, string, string];
const client = createSyncClient(url, { dbPath, statsIntervalMs: 0 });
await client.connect();
console.log(`clientId ${client.clientId}`);
let next = 0;
const total = Number(count);
const one = async (): Promise<void> => {
  while (next < total) {
    const i = next++;
    const id = `gc-${i}`;
    const { seq } = await client.executeTemplate("CREATE_USER", { id: `user-${i}`, name: `User ${i}` }, { id });
    process.stdout.write(`${id} ${seq}\n`);
  }
};
await Promise.all(Array.from({ length: Number(window) }, one));
console.log("done");
await new Promise(() => {});
