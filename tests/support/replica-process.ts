/**
 * A persistent client in its own process (replica-child.ts): it can crash (a poison event
 * segfaults the engine) or be killed without taking the test down, and is started again on the
 * same replica file. Its JSON lines say what it applied.
 * @module
 */
import { resolve } from "node:path";
import { LineWatcher } from "./lines.ts";

const CHILD = resolve(import.meta.dir, "replica-child.ts");

export interface ReplicaLine {
  readonly type: string;
  readonly seq?: number;
  readonly ok?: boolean;
  readonly error?: string;
  readonly code?: string;
}

export interface ReplicaProcess extends AsyncDisposable {
  readonly lines: readonly string[];
  readonly exited: Promise<number>;
  /** Resolves with the first JSON line for which `match` holds (printed already or still to come). */
  waitFor(match: (line: ReplicaLine) => boolean, what: string, timeoutMs?: number): Promise<ReplicaLine>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  /** SIGTERM (the client closes its replica) and wait. */
  stop(): Promise<number>;
}

/**
 * @example await using p = startReplicaProcess(gw.url, join(dir, "r.kuzu")); await p.waitFor((l) => l.type === "live", "live");
 */
export function startReplicaProcess(url: string, dbPath: string, clientId?: string): ReplicaProcess {
  const proc = Bun.spawn(["bun", CHILD, url, dbPath, ...(clientId === undefined ? [] : [clientId])], {
    env: { ...process.env, LOG_LEVEL: "warn" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = new LineWatcher(`replica ${dbPath}`, [proc.stdout, proc.stderr], proc.exited);
  const parse = (line: string): ReplicaLine | null => {
    if (!line.startsWith('{"type":')) return null;
    try {
      return JSON.parse(line) as ReplicaLine;
    } catch {
      return null;
    }
  };
  const kill = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    await proc.exited;
  };
  return {
    lines: out.lines,
    exited: proc.exited,
    async waitFor(match, what, timeoutMs = 30_000) {
      // LineWatcher only calls test() (and names the pattern in its errors).
      const pattern = { test: (l: string) => { const v = parse(l); return v !== null && match(v); }, toString: () => what } as unknown as RegExp;
      const line = await out.waitForLine(pattern, timeoutMs).catch((error: unknown) => {
        throw new Error(`${what}: ${String(error)}\n${out.lines.slice(-15).join("\n")}`);
      });
      return parse(line)!;
    },
    kill,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return proc.exited;
    },
    [Symbol.asyncDispose]: kill,
  };
}
