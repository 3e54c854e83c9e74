/**
 * Error codes shared by gateway and clients, and the one error class that carries them.
 * @module
 */

/**
 * Every code the gateway can send in a `reject` or `error` message.
 * `retryable` codes leave the event in the client's outbox for a later resend.
 */
export const ErrorCode = {
  BAD_FRAME: "BAD_FRAME",
  BAD_MESSAGE: "BAD_MESSAGE",
  MESSAGE_TOO_LARGE: "MESSAGE_TOO_LARGE",
  EVENT_TOO_LARGE: "EVENT_TOO_LARGE",
  NOT_READY: "NOT_READY",
  UNKNOWN_TEMPLATE: "UNKNOWN_TEMPLATE",
  INVALID_PARAMS: "INVALID_PARAMS",
  RAW_DML_DISABLED: "RAW_DML_DISABLED",
  RAW_DML_FORBIDDEN: "RAW_DML_FORBIDDEN",
  LOG_UNAVAILABLE: "LOG_UNAVAILABLE",
  RATE_LIMITED: "RATE_LIMITED",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  REGISTRY_MISMATCH: "REGISTRY_MISMATCH",
  SNAPSHOT_REQUIRED: "SNAPSHOT_REQUIRED",
  NOT_FOUND: "NOT_FOUND",
  /** sync-archiver: the object store is unreachable, refused the credentials, lacks the bucket, or failed. */
  ARCHIVE_UNAVAILABLE: "ARCHIVE_UNAVAILABLE",
  /** sync-archiver: a segment does not match its manifest, or manifests overlap or leave a gap. */
  ARCHIVE_INCONSISTENT: "ARCHIVE_INCONSISTENT",
  TIMEOUT: "TIMEOUT",
  /**
   * Replica-side: the engine gave up on an event (Kuzu's query timeout interrupted a raw DML
   * statement). Not deterministic across machines, so the replica stops before that event instead
   * of recording it as failed and moving on.
   */
  APPLY_TIMEOUT: "APPLY_TIMEOUT",
  /**
   * Client-side: one of the client's events was sequenced but failed when applied (the same
   * failure on every replica); an optimistic one's effect leaves the overlay (`rejected` event).
   */
  APPLY_FAILED: "APPLY_FAILED",
  /**
   * Replica-side: applying stopped before an event for a reason that is not the event's — the
   * engine failed (I/O, memory, an interrupted query, a storage or transaction fault), the engine
   * crashed applying it before (a poison event, see `sync-server quarantine`), or a registry step
   * cannot run. Such a failure is not the same on every replica, so the event is not recorded as
   * failed: the replica stays before it and is retried with backoff.
   */
  APPLY_STOPPED: "APPLY_STOPPED",
  /**
   * Client-side: the local replica has applied more than the server's log holds (the server lost
   * history, or the replica belongs to another deployment). The client stops without touching the
   * replica or its outbox; the message says what to do.
   */
  REPLICA_AHEAD: "REPLICA_AHEAD",
  /** Client-side: the replica's graph digest differs from the server replica's at the same seq (`client.verify()`). */
  REPLICA_DIVERGED: "REPLICA_DIVERGED",
  CLOSED: "CLOSED",
  INTERNAL: "INTERNAL",
} as const;

/** Union of all error code strings. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const RETRYABLE: ReadonlySet<ErrorCode> = new Set([ErrorCode.LOG_UNAVAILABLE, ErrorCode.RATE_LIMITED]);

/**
 * Whether a rejected event may be sent again unchanged later.
 * @example isRetryable("LOG_UNAVAILABLE") // true
 */
export function isRetryable(code: ErrorCode): boolean {
  return RETRYABLE.has(code);
}

/** Type guard for strings received on the wire. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ErrorCode, value);
}

/**
 * The error every kuzu-sync API throws. `code` is the same string the server sent.
 * @example
 * try { await client.executeTemplate("NOPE", {}) }
 * catch (e) { if (e instanceof SyncError && e.code === "UNKNOWN_TEMPLATE") ... }
 */
export class SyncError extends Error {
  override readonly name = "SyncError";
  readonly code: ErrorCode;
  /** Id of the event the error is about, when there is one. */
  readonly eventId: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; eventId?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.eventId = options?.eventId;
  }

  get retryable(): boolean {
    return isRetryable(this.code);
  }
}
