/**
 * Starts the real `sync-server` bin as a child process on port 0 with its own temp data dir, and
 * reads the chosen port from its "listening" log line.
 * @module
 */
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LineWatcher } from "./lines.ts";

const MAIN = resolve(import.meta.dir, "../../packages/sync-server/src/main.ts");

export interface GatewayProcess extends AsyncDisposable {
  readonly url: string;
  readonly httpUrl: string;
  readonly port: number;
  readonly dataDir: string;
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Every log line printed so far (stdout and stderr). */
  readonly output: string[];
  /** SIGTERM and wait; exit code. */
  stop(): Promise<number>;
  /** SIGKILL and wait (a crash). */
  kill(): Promise<void>;
  /** Resolves when a stdout/stderr line matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export interface GatewayProcessOptions {
  /** Reuse a data dir (restart tests); a fresh temp dir otherwise. */
  readonly dataDir?: string;
  /** Reuse a port (restart tests keep the clients' URL); 0 otherwise. */
  readonly port?: number;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Keep the data dir after stop (the caller removes it). */
  readonly keepDataDir?: boolean;
  /** Another checkout's `sync-server` main (benchmarks compare against a copy of an older commit). */
  readonly main?: string;
}

/** Temp dir removed by the returned disposer. */
export function tempDir(prefix = "kuzu-sync-"): { path: string } & Disposable {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

export async function startGatewayProcess(options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "gateway-"));
  const proc = Bun.spawn(["bun", options.main ?? MAIN, "--port", String(options.port ?? 0), "--host", "127.0.0.1", "--data-dir", dataDir, ...(options.args ?? [])], {
    env: { ...process.env, LOG_LEVEL: "info", ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = new LineWatcher("gateway", [proc.stdout, proc.stderr], proc.exited);
  const waitForLine = (pattern: RegExp, timeoutMs?: number): Promise<string> => out.waitForLine(pattern, timeoutMs);
  let line: string;
  try {
    line = await waitForLine(/"body":"listening"/);
  } catch (error) {
    proc.kill("SIGKILL");
    if (ownDir && !options.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const port = (JSON.parse(line) as { attributes: { port: number } }).attributes.port;
  const cleanup = () => {
    if (ownDir && !options.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  let done = false;
  const stop = async () => {
    if (done) return proc.exitCode ?? 0;
    done = true;
    proc.kill("SIGTERM");
    const code = await proc.exited;
    cleanup();
    return code;
  };
  const kill = async () => {
    if (done) return;
    done = true;
    proc.kill("SIGKILL");
    await proc.exited;
    cleanup();
  };
  return {
    url: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    proc,
    output: out.lines,
    stop,
    kill,
    waitForLine,
    [Symbol.asyncDispose]: async () => void (await stop()),
  };
}
