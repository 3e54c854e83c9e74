/**
 * Which apply errors say something about the event, and which say something about this replica.
 *
 * An event whose statement fails is recorded as applied-with-failure and the stream moves on: that
 * is only right when every replica fails it the same way, i.e. when the statement itself causes
 * the error on the state every replica shares at that seq (a binder or catalog error, a constraint
 * or a conversion/overflow at run time). Anything else — an I/O error, memory, an interrupted
 * query, a transaction-manager or storage fault, Kuzu's corrupted row versions after a rollback
 * (`reopen.ts`), a bug — is about this replica, this machine, this moment: recording it as
 * "failed everywhere" would make this replica silently differ for ever. The replica stops before
 * such an event instead (`APPLY_STOPPED`), and whoever drives it tries again later.
 *
 * Kuzu 0.11 names the kind of most errors in a fixed prefix (`Binder exception: …`, from
 * `src/include/common/exception/*.h`); a few kinds have none (transaction manager, internal,
 * not implemented, checkpoint). Only the prefixes below count as the statement's fault, and among
 * runtime errors, those that name Kuzu's storage rather than the data do not: everything
 * unrecognised stops the replica — a wrongly stopped replica is visible and stops on every machine
 * alike, a wrongly skipped event diverges silently.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";

/** Kuzu error kinds the statement itself causes, given the same state (deterministic everywhere). */
const STATEMENT_KINDS = ["Binder", "Catalog", "Conversion", "Overflow", "Parser", "Runtime"] as const;

const KIND = new RegExp(`^(${STATEMENT_KINDS.join("|")}) exception: `);

/**
 * Runtime (and catalog) errors that are about the engine's storage, not the statement: row version
 * chains broken by a rollback (`reopen.ts`), corrupt or unreadable files, checkpoint and WAL replay.
 */
const ENGINE_FAULTS = [
  /Write-write conflict/i,
  /corrupt/i,
  /\bWAL\b/,
  /checkpoint/i,
  /shadow page/i,
  /DiskArray/,
  /Reading past the end of the file/i,
  /not a valid Kuzu database/i,
  /database file with a different version/i,
  /Load table failed/i,
  /is not loaded/i,
  /buffer pool/i,
];

/** Our own refusals of an event: the same on every replica (same registry, same text). */
const STATEMENT_CODES: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.RAW_DML_FORBIDDEN,
  ErrorCode.RAW_DML_DISABLED,
  ErrorCode.INVALID_PARAMS,
  ErrorCode.UNKNOWN_TEMPLATE,
]);

/** What an apply error says: the statement failed (every replica records it), or this replica cannot go on. */
export type ApplyErrorClass =
  | { readonly deterministic: true; readonly message: string }
  | { readonly deterministic: false; readonly message: string; readonly kind: string };

/**
 * Classify an error thrown while applying one event.
 * @example
 * classifyApplyError(new Error("Runtime exception: Found duplicated primary key value u1, …")).deterministic // true
 * classifyApplyError(new Error("IO exception: Cannot write to file …")).deterministic // false
 */
export function classifyApplyError(error: unknown): ApplyErrorClass {
  if (error instanceof SyncError) {
    const message = error.message;
    if (STATEMENT_CODES.has(error.code)) return { deterministic: true, message };
    // A wrapped engine error (e.g. a statement that cannot be prepared) is judged by its cause.
    if (error.code === ErrorCode.INTERNAL && error.cause !== undefined) return classifyApplyError(error.cause);
    return { deterministic: false, message, kind: error.code };
  }
  if (!(error instanceof Error)) return { deterministic: false, message: String(error), kind: "unknown" };
  const message = engineMessage(error);
  if (message.trim() === "Interrupted.") return { deterministic: false, message, kind: "interrupted" };
  const kind = KIND.exec(message)?.[1];
  if (kind === undefined) return { deterministic: false, message, kind: kindOf(message) };
  if (ENGINE_FAULTS.some((re) => re.test(message))) return { deterministic: false, message, kind: `${kind.toLowerCase()} (storage)` };
  return { deterministic: true, message };
}

/**
 * Kuzu's own message: `kuzu.ts` wraps a failed prepare as "cannot prepare <statement>: <message>"
 * with Kuzu's error as the cause.
 */
function engineMessage(error: Error): string {
  if (error.message.startsWith("cannot prepare ") && error.cause instanceof Error) return error.cause.message;
  return error.message;
}

/** A short name for an error that is not the statement's: Kuzu's kind when it has one. */
function kindOf(message: string): string {
  const prefixed = /^([A-Za-z ]+?) exception: /.exec(message);
  if (prefixed) return prefixed[1]!.toLowerCase();
  if (/transaction/i.test(message)) return "transaction";
  if (/alloc|memory/i.test(message)) return "memory";
  return "engine";
}
