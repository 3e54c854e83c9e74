/**
 * @kuzu-sync/client — `createSyncClient()`, a local KuzuDB replica kept in sync with a gateway.
 * @module
 */
export { createSyncClient, SyncClient, MAX_CLIENT_ID_LENGTH } from "./client.ts";
export type { SyncClientEvents, SyncClientOptions } from "./client-options.ts";
export type { LiveOptions, LiveSubscription, Rows } from "./live-queries.ts";
export type { ConfirmedWrite, PendingWrite, RejectedWrite } from "./local-writes.ts";
export { backoffDelay } from "./backoff.ts";
export type { SnapshotProgress } from "./bootstrap-options.ts";
export type { DigestAtSeq, VerifyResult } from "./replica-verify.ts";
export type { BackoffOptions } from "./backoff.ts";
export { ErrorCode, SyncError } from "@kuzu-sync/protocol";
export type { SequencedEvent } from "@kuzu-sync/protocol";
