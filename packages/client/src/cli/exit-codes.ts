/**
 * Exit codes of `sync-client` and the error that carries one up to the bin.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";

/** Every status `sync-client` exits with; documented in `--help` and docs/CLI.md. */
export const ExitCode = {
  OK: 0,
  /** A query failed, the replica could not be opened, or anything unexpected. */
  FAILED: 1,
  /** Unknown command or option, a malformed value, k=v or JSON, a value not of its parameter's type. */
  USAGE: 2,
  /** The gateway could not be reached, the connection was lost, or a wait timed out. */
  UNAVAILABLE: 3,
  /** The server refused the event; the message carries its code. */
  REJECTED: 4,
  /** `verify`: the replica's graph differs from the gateway's at the same seq. */
  DIVERGED: 5,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM before finishing. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Text appended to `sync-client --help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0    success (also: watch stopped with Ctrl-C, REPL left with exit or Ctrl-D)
  1    failure: a query failed, a replica could not be opened, a line of piped REPL input failed
  2    usage: unknown command or option, malformed k=v, JSON or option value,
       a value not of its parameter's type
  3    unavailable: gateway unreachable, connection lost, or a wait timed out
  4    rejected: the server refused the event (its code is printed, e.g. INVALID_PARAMS)
  5    diverged: verify found the replica different from the gateway's (see --repair)
  130  interrupted by Ctrl-C or SIGTERM before the command finished`;

/**
 * An error the CLI reports as one line and turns into an exit status.
 * @example throw new CliError("--timeout must be a positive integer", ExitCode.USAGE)
 */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = exitCode;
  }
}

/** Codes meaning "could not talk to the gateway (in time)" rather than "the gateway said no". */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([ErrorCode.TIMEOUT, ErrorCode.CLOSED, ErrorCode.LOG_UNAVAILABLE, ErrorCode.RATE_LIMITED]);

/**
 * The exit status for an error thrown by a command.
 * @example exitCodeOf(new SyncError("TIMEOUT", "...")) // 3
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof SyncError) return UNAVAILABLE_CODES.has(error.code) ? ExitCode.UNAVAILABLE : ExitCode.FAILED;
  return ExitCode.FAILED;
}

/**
 * The one-line message for an error: a SyncError shows its code, as the server sent it.
 * @example describeError(new SyncError("INVALID_PARAMS", "CREATE_USER: name: required")) // "INVALID_PARAMS: CREATE_USER: name: required"
 */
export function describeError(error: unknown): string {
  if (error instanceof SyncError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
