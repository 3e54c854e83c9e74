/**
 * `#durable-outbox` in a browser: there is none. A browser client keeps its outbox in memory (so
 * events not yet acknowledged when the page closes are lost, as with an in-memory replica under
 * Bun); asking for a persistent one (`dbPath`) fails, and `connect()` rejects with this error.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import type { Outbox } from "./outbox.ts";

/**
 * @example durableOutbox("replica.kuzu.outbox.sqlite"); // throws: dbPath needs Bun
 */
export function durableOutbox(path: string): Outbox {
  throw new SyncError(ErrorCode.BAD_MESSAGE, `a persistent outbox (${path}) needs Bun; in a browser leave dbPath unset: replica and outbox are in memory`);
}
