/**
 * `#host-fs` in a browser, where a replica lives in memory inside kuzu-wasm's worker: there is no
 * host file system to look at. Nothing exists; creating a directory for a persistent replica or
 * reading a snapshot directory fails with a clear error (snapshots and `dbPath` need Bun).
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";

function unavailable(what: string): never {
  throw new SyncError(ErrorCode.INTERNAL, `${what} needs the native engine (Bun); in a browser a replica is in memory and catches up from the log`);
}

/** Nothing is on a host file system in a browser. */
export function existsSync(_path: string): boolean {
  return false;
}

export function mkdirSync(path: string, _options?: { recursive?: boolean }): void {
  unavailable(`a persistent replica (${path})`);
}

export function readdirSync(path: string): string[] {
  unavailable(`reading snapshot directory ${path}`);
}

export function readFileSync(path: string, _encoding?: string): string {
  unavailable(`reading ${path}`);
}

export function writeFileSync(path: string, _data: string): void {
  unavailable(`writing ${path}`);
}

export function mkdtempSync(prefix: string): string {
  unavailable(`a scratch directory (${prefix}…), e.g. to rebuild an in-memory replica after a rollback,`);
}

export function rmSync(_path: string, _options?: { recursive?: boolean; force?: boolean }): void {}

export function tmpdir(): string {
  return "/tmp";
}

/** POSIX dirname, enough for the replica's own paths. */
export function dirname(path: string): string {
  const i = path.replace(/\/+$/, "").lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

export function join(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/").replace(/\/+/g, "/");
}
