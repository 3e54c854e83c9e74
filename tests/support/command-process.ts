/**
 * Any long-running command as a child process (e.g. `bunx sync-server` in a consumer project, or
 * the image's `sync-server` wrapper): its output lines as they come, a wait for a line, and a stop
 * that always happens (dispose). For the repository's own gateway use gateway-process.ts.
 * @module
 */
import type { Subprocess } from "bun";
import { forEachLine } from "./lines.ts";

export interface CommandProcess extends AsyncDisposable {
  readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  /** Every stdout and stderr line so far. */
  readonly output: string[];
  /** Resolves with the first line matching (already printed or still to come). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Write a line to stdin. */
  send(line: string): void;
  /** SIGTERM (if still running) and the exit code. */
  stop(): Promise<number>;
  readonly exited: Promise<number>;
}

/**
 * @example
 * await using gw = spawnCommand(["bunx", "sync-server", "--port", "0"], { cwd: project });
 * const line = await gw.waitForLine(/"body":"listening"/);
 */
export function spawnCommand(argv: readonly string[], options: { readonly cwd: string; readonly env?: Readonly<Record<string, string | undefined>> }): CommandProcess {
  const proc = Bun.spawn([...argv], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const output: string[] = [];
  const watchers = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const pump = (stream: ReadableStream<Uint8Array>) =>
    forEachLine(stream, (line) => {
      output.push(line);
      for (const w of watchers) if (w.pattern.test(line)) (watchers.delete(w), w.resolve(line));
    });
  const pumps = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  const exited = proc.exited.then(async (code) => (await pumps, code));
  const name = argv.slice(0, 3).join(" ");
  const waitForLine = (pattern: RegExp, timeoutMs = 30_000): Promise<string> => {
    const seen = output.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pattern, resolve: (l: string) => (clearTimeout(t), resolve(l)) };
      const t = setTimeout(() => {
        watchers.delete(w);
        reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms; output:\n${output.join("\n")}`));
      }, timeoutMs);
      watchers.add(w);
      void exited.then((code) => {
        if (watchers.delete(w)) (clearTimeout(t), reject(new Error(`${name} exited with ${code} before printing ${pattern}; output:\n${output.join("\n")}`)));
      });
    });
  };
  const stop = async (): Promise<number> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
    return exited;
  };
  return {
    proc,
    output,
    waitForLine,
    send: (line) => {
      proc.stdin.write(`${line}\n`);
      void proc.stdin.flush();
    },
    stop,
    exited,
    [Symbol.asyncDispose]: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}
