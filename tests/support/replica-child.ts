/**
 * Child process: a persistent client that syncs `dbPath` with the gateway at `url` and reports what
 * happens as JSON lines on stdout — `{type: "live"|"applied"|"error"|"divergence"|"connected", …}` —
 * until it is killed (or crashes: a poison event segfaults the engine, which is why it runs in its
 * own process). argv: url dbPath [clientId]
 * @module
 */
import { createSyncClient } from "@kuzu-sync/client";

const [url, dbPath, clientId] = process.argv.slice(2) as [string, string, string | undefined];
const say = (value: Record<string, unknown>) => console.log(JSON.stringify(value));
const client = createSyncClient(url, {
  dbPath,
  ...(clientId === undefined ? {} : { clientId }),
  statsIntervalMs: 0,
  connectTimeoutMs: 600_000,
  backoff: { initialDelayMs: 50, maxDelayMs: 1_000 },
});
client.on("error", (e) => say({ type: "error", code: e.code, message: e.message }));
client.on("connected", ({ headSeq }) => say({ type: "connected", headSeq }));
client.on("event", (e) => say({ type: "applied", seq: e.seq, ok: e.ok, ...(e.error === undefined ? {} : { error: e.error }) }));
say({ type: "open", seq: client.lastAppliedSeq });
client.connect().then(
  () => say({ type: "live", seq: client.lastAppliedSeq }),
  (e: unknown) => say({ type: "connect-failed", message: String(e) }),
);
process.on("SIGTERM", () => void client.close().then(() => process.exit(0)));
await new Promise(() => {});
