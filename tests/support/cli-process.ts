/**
 * Runs the real `sync-client` bin (`bun packages/client/src/cli.ts ...`) as a child process:
 * one-shot runs collect output and exit code; long-running ones (watch, repl) expose their lines
 * as they come and are always stopped after the test.
 * @module
 */
import type { Subprocess } from "bun";
import { resolve } from "node:path";
import { LineWatcher } from "./lines.ts";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
export const CLI = resolve(REPO_ROOT, "packages/client/src/cli.ts");

export interface CliRunOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Text piped to stdin (closed after it); stdin is empty otherwise. */
  readonly stdin?: string;
  readonly cwd?: string;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment every CLI run starts from: no inherited SYNC_URL, no colours requested. */
function baseEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== "SYNC_URL" && k !== "NO_COLOR") env[k] = v;
  return { ...env, ...extra };
}

/** Run to completion. */
export async function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  const proc = Bun.spawn(["bun", CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: baseEnv(options.env),
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** A command given as a full argv (e.g. `bunx sync-client --version`), run to completion. */
export async function runCommand(argv: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  const proc = Bun.spawn([...argv], { cwd: options.cwd ?? REPO_ROOT, env: baseEnv(options.env), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

export interface CliProcess extends AsyncDisposable {
  readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  readonly stdoutLines: string[];
  readonly stderrLines: string[];
  /** Resolves with the first stdout line matching (already printed or still to come). */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<string>;
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Write to stdin. */
  write(text: string): void;
  /** Close stdin (EOF). */
  endInput(): void;
  /** Send a signal and wait for the exit code. */
  signal(name: "SIGINT" | "SIGTERM"): Promise<number>;
  readonly exited: Promise<number>;
}

/** Start a long-running CLI command; killed at dispose if it is still running. */
export function spawnCli(args: readonly string[], options: Omit<CliRunOptions, "stdin"> = {}): CliProcess {
  const proc = Bun.spawn(["bun", CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: baseEnv(options.env),
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const label = `sync-client ${args.join(" ")}`;
  const stdout = new LineWatcher(`${label} (stdout)`, [proc.stdout], proc.exited);
  const stderr = new LineWatcher(`${label} (stderr)`, [proc.stderr], proc.exited);
  const exited = proc.exited.then(async (code) => (await Promise.all([stdout.ended, stderr.ended]), code));
  /** On a miss, the other stream is worth seeing too. */
  const waitFor = (watcher: LineWatcher, other: LineWatcher, which: string) => (pattern: RegExp, timeoutMs = 20_000): Promise<string> =>
    watcher.waitForLine(pattern, timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}\n${which === "stdout" ? "stderr" : "stdout"}:\n${other.lines.join("\n")}`);
    });
  return {
    proc,
    stdoutLines: stdout.lines,
    stderrLines: stderr.lines,
    waitForStdout: waitFor(stdout, stderr, "stdout"),
    waitForStderr: waitFor(stderr, stdout, "stderr"),
    write: (text) => void proc.stdin.write(text),
    endInput: () => void proc.stdin.end(),
    signal: async (name) => {
      proc.kill(name);
      return exited;
    },
    exited,
    [Symbol.asyncDispose]: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}
