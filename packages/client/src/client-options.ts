/**
 * Options of `createSyncClient()` and the events a client emits.
 * @module
 */
import type { SequencedEvent, SyncError } from "@kuzu-sync/protocol";
import type { DmlStatsSnapshot, Logger } from "@kuzu-sync/telemetry";
import type { BackoffOptions } from "./backoff.ts";
import type { SnapshotProgress } from "./bootstrap-options.ts";
import type { ConfirmedWrite, PendingWrite, RejectedWrite } from "./local-writes.ts";
import type { VerifyResult } from "./replica-verify.ts";

export interface SyncClientOptions {
  /** Persistent replica file; in-memory when absent. The outbox lives beside it (`<dbPath>.outbox.sqlite`). */
  readonly dbPath?: string;
  /** Stable id of this client; kept with a persistent replica, random otherwise. */
  readonly clientId?: string;
  /** Reconnect after a lost connection (default true). */
  readonly autoReconnect?: boolean;
  /** Period of the DML statistics report; 0 turns it off (default 5000). */
  readonly statsIntervalMs?: number;
  /** Receives each statistics report; default: logged at info through the logger. */
  readonly onStatsReport?: (report: string, stats: DmlStatsSnapshot) => void;
  /** How long `connect()` keeps trying before it rejects with TIMEOUT (default 30000). */
  readonly connectTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  readonly logger?: Logger;
  /**
   * Access token (a JWT) sent as `Authorization: Bearer` on every connection. With auth on, the
   * token's `sub` must equal `clientId`. A server that refuses it (HTTP 401) makes `connect()`
   * reject with UNAUTHORIZED instead of retrying.
   */
  readonly token?: string;
  /**
   * Called before every connection attempt for a current token (wins over `token`). When the
   * server closes with 4001 (token expired) the client reconnects, so this is called again.
   */
  readonly getToken?: () => string | Promise<string>;
  /**
   * Bootstrap from the server's snapshot when it offers one because the replay would be long
   * (default true). A snapshot the server *requires* (history archived) is always used.
   */
  readonly useSnapshots?: boolean;
  /**
   * Every write is optimistic unless `executeTemplate(…, { optimistic: false })` says otherwise:
   * `query()` and live queries see it at once, before the server sequences it (default false).
   */
  readonly optimistic?: boolean;
  /**
   * Once caught up after `connect()`, compare the replica with the gateway's (`verify()`), and on a
   * mismatch emit `divergence` and an `error` REPLICA_DIVERGED and rebuild the replica from the
   * gateway's snapshot (default false: a digest reads the whole graph on both sides).
   */
  readonly verifyAfterCatchUp?: boolean;
}

/** Events a client emits; `event` fires after each applied (or failed-to-apply) event. */
export interface SyncClientEvents extends Record<string, unknown> {
  event: SequencedEvent & { readonly ok: boolean; readonly error?: string };
  connected: { readonly serverId: string; readonly headSeq: number };
  live: { readonly seq: number };
  disconnected: { readonly code: number; readonly reason: string };
  error: SyncError;
  /** Bootstrap from a snapshot: `download` (repeated as bytes arrive), `import`, `done`. */
  snapshot: SnapshotProgress;
  /**
   * The local replica moved to another registry version (a registry event applied at `seq`):
   * templates may have been added, changed or removed, and the schema may have new tables or columns.
   */
  registry: { readonly version: number; readonly hash: string; readonly seq: number };
  /** A write was handed to the client (`client.pending` lists it until it is confirmed or rejected). */
  pending: PendingWrite;
  /** One of this client's writes came back applied from the stream (its effect is confirmed state now). */
  confirmed: ConfirmedWrite;
  /**
   * One of this client's writes was refused by the server (its code), or was sequenced but failed
   * when applied (`APPLY_FAILED`): an optimistic write's effect has left `query()` and live queries.
   */
  rejected: RejectedWrite;
  /** `verify()` found the replica's digest different from the gateway's at `seq` (an `error` REPLICA_DIVERGED follows). */
  divergence: VerifyResult;
}
