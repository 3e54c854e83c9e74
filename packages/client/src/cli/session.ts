/**
 * What every command needs: the context (config, terminal, interrupt signal), the gateway's HTTP
 * endpoints with errors a person can act on, and a connected SyncClient with catch-up progress.
 * @module
 */
import { SyncError } from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";
import { createSyncClient, type SyncClient } from "../client.ts";
import type { CliConfig } from "./config.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { Progress, followCatchUp, followSnapshot } from "./progress.ts";
import type { InStream, Terminal } from "./terminal.ts";

export interface CliContext {
  readonly config: CliConfig;
  readonly term: Terminal;
  readonly stdin: InStream;
  /** Aborted on Ctrl-C / SIGTERM. */
  readonly signal: AbortSignal;
  /** The command's logger (see cli-telemetry.ts): the terminal, and OTLP export when configured. */
  readonly logger: Logger;
}

/** `GET /health`. */
export interface Health {
  readonly status: string;
  readonly serverId: string;
  readonly headSeq: number;
  readonly horizonSeq: number;
  readonly replicaSeq?: number;
  /** The server replica's lag (gateways that report it). */
  readonly replicaLag?: { readonly events: number; readonly seconds: number };
  /** Why `status` is not ok, in words (gateways that report it). */
  readonly problems?: readonly string[];
}

/**
 * GET a JSON endpoint of the gateway. An unreachable gateway is a CliError (exit 3) that says
 * how to start one.
 * @example const health = await fetchJson<Health>(ctx, "/health");
 */
export async function fetchJson<T>(ctx: CliContext, path: string): Promise<T> {
  const { httpUrl, url, timeoutMs } = ctx.config;
  let response: Response;
  try {
    response = await fetch(`${httpUrl}${path}`, {
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
      ...(ctx.config.token === null ? {} : { headers: { Authorization: `Bearer ${ctx.config.token}` } }),
    });
  } catch (error) {
    if (ctx.signal.aborted) throw interrupted();
    const reason = describeFetchError(error, timeoutMs);
    throw new CliError(`cannot reach a sync-server at ${url} (${reason}); start one with "bun run server", or point --url / SYNC_URL at one`, ExitCode.UNAVAILABLE, { cause: error });
  }
  if (response.status === 401) throw new CliError(`${httpUrl}${path} answered HTTP 401: this gateway needs a valid token (SYNC_TOKEN)`, ExitCode.FAILED);
  if (!response.ok) throw new CliError(`${httpUrl}${path} answered HTTP ${response.status}; is ${url} a sync-server?`, ExitCode.UNAVAILABLE);
  try {
    return (await response.json()) as T;
  } catch (error) {
    throw new CliError(`${httpUrl}${path} did not answer JSON; is ${url} a sync-server?`, ExitCode.UNAVAILABLE, { cause: error });
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; code?: string; message?: string };
  if (e.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  if (e.code === "ECONNREFUSED") return "connection refused";
  if (e.code === "ENOTFOUND") return "unknown host";
  return e.message ?? String(error);
}

export interface OpenClientOptions {
  /** Persistent replica file (`--db`); in memory when absent. */
  readonly dbPath?: string;
  /**
   * `live`: resolve once the replica has caught up (for reads). `welcome`: resolve after the
   * handshake, while history may still stream in (for sending only).
   */
  readonly until: "live" | "welcome";
  /** Show catch-up progress on stderr. */
  readonly progress: boolean;
  /** Called before connecting, to subscribe to events from the very first one. */
  readonly setup?: (client: SyncClient) => void;
}

/**
 * A connected client, or a CliError: gateway unreachable (3), replica unusable (1), interrupted (130).
 * The caller closes it.
 * @example
 * const client = await openClient(ctx, { until: "live", progress: true });
 * try { console.log(await client.query("MATCH (u:User) RETURN count(u)")) } finally { await client.close() }
 */
export async function openClient(ctx: CliContext, options: OpenClientOptions): Promise<SyncClient> {
  // A plain HTTP request fails fast and clearly; the WebSocket client would retry until its timeout.
  await fetchJson<Health>(ctx, "/health");
  const client = createSyncClient(ctx.config.url, {
    ...(options.dbPath === undefined ? {} : { dbPath: options.dbPath }),
    ...(ctx.config.token === null ? {} : { token: ctx.config.token, clientId: ctx.config.tokenSubject! }),
    statsIntervalMs: 0,
    // A long history may take minutes to replay; the watchdog below bounds time without a connection instead.
    connectTimeoutMs: MAX_TIMER_MS,
    backoff: { initialDelayMs: 100, maxDelayMs: 3_000 },
    logger: ctx.logger,
  });
  const bar = (extra: { label?: string; unit?: string; plainMinTotal?: number } = {}) =>
    new Progress(ctx.term, { tty: ctx.term.stderr.isTTY === true, columns: ctx.term.stderr.columns ?? 80, ...extra });
  const stops = options.progress
    ? [followCatchUp(client, bar()), followSnapshot(client, bar({ label: "downloading snapshot", unit: "bytes", plainMinTotal: 0 }), ctx.term)]
    : [];
  const stopProgress = () => {
    for (const stop of stops) stop();
  };
  options.setup?.(client);
  const welcomed = new Promise<void>((resolve) => {
    const off = client.on("connected", () => (off(), resolve()));
  });
  const watchdog = stallWatchdog(client, ctx.config.timeoutMs);
  const connecting = client.connect();
  connecting.catch(() => {}); // With until "welcome" it settles later, or with CLOSED at close().
  try {
    await abortable(Promise.race([options.until === "live" ? connecting : Promise.race([welcomed, connecting]), watchdog.stalled]), ctx.signal);
    watchdog.stop();
    if (options.until === "live") stopProgress();
    else connecting.then(stopProgress, stopProgress);
    return client;
  } catch (error) {
    watchdog.stop();
    stopProgress();
    await client.close();
    if (error instanceof CliError) throw error;
    if (error instanceof SyncError) throw new CliError(`${error.code}: ${error.message}`, error.code === "TIMEOUT" || error.code === "CLOSED" ? ExitCode.UNAVAILABLE : ExitCode.FAILED, { cause: error });
    const where = options.dbPath === undefined ? "an in-memory replica" : `the replica at ${options.dbPath}`;
    throw new CliError(`cannot open ${where}: ${(error as Error).message ?? String(error)}`, ExitCode.FAILED, { cause: error });
  }
}

/** Longest delay setTimeout takes without overflowing. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Rejects when the client goes `timeoutMs` without a connection (no handshake yet, or lost and not
 * regained). While connected, a catch-up takes as long as it needs: a long replay or a snapshot
 * import shows progress, and Ctrl-C ends it.
 */
function stallWatchdog(client: SyncClient, timeoutMs: number): { stalled: Promise<never>; stop: () => void } {
  let since = performance.now();
  const offs = [client.on("disconnected", () => void (since = performance.now()))];
  let timer: ReturnType<typeof setInterval> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (client.connected) since = performance.now();
      if (performance.now() - since < timeoutMs) return;
      reject(new CliError(`could not sync with ${client.url}: no connection for ${timeoutMs} ms; raise --timeout if the gateway is just slow`, ExitCode.UNAVAILABLE));
    }, Math.min(1_000, Math.max(10, timeoutMs / 4)));
  });
  stalled.catch(() => {});
  return {
    stalled,
    stop: () => {
      clearInterval(timer);
      for (const off of offs) off();
    },
  };
}

/**
 * Reject with an UNAVAILABLE CliError when `promise` takes longer than `ms`; `message(ms)` says
 * what did not happen and what that means for the caller.
 * @example await withTimeout(client.waitForSeq(seq), 15_000, (ms) => `seq ${seq} not applied within ${ms} ms`)
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: (ms: number) => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(message(ms), ExitCode.UNAVAILABLE)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The error for Ctrl-C / SIGTERM. */
export function interrupted(): CliError {
  return new CliError("interrupted", ExitCode.INTERRUPTED);
}

/** Reject with `interrupted()` as soon as the signal aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(interrupted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(interrupted());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener("abort", onAbort), reject(e)),
    );
  });
}
