/**
 * Runs the real `sync-archiver` bin as a child process and collects what it printed.
 * @module
 */
import { resolve } from "node:path";
import type { SequencedEvent } from "@kuzu-sync/protocol";
import type { S3Server } from "./s3-server.ts";

const MAIN = resolve(import.meta.dir, "../../packages/archiver/src/main.ts");

export interface ArchiverResult {
  /** Exit code; null when the process was killed by a signal. */
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * @example
 * const r = await runArchiver(["run", "--older-than", "0s"], { ...s3.env, DATA_DIR: dir });
 */
export async function runArchiver(args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs = 60_000): Promise<ArchiverResult> {
  const proc = Bun.spawn(["bun", MAIN, ...args], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: timeoutMs,
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  return { code: proc.signalCode ? null : proc.exitCode, signal: proc.signalCode ? String(proc.signalCode) : null, stdout, stderr };
}

/** Events printed one per line (`restore`, or a segment's body). */
export function parseNdjson(text: string): SequencedEvent[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as SequencedEvent);
}

/** The seq ranges of the manifest objects in the bucket, in key order. */
export async function manifestRanges(s3: S3Server): Promise<[number, number][]> {
  return (await s3.keys("manifests/")).map((k) => {
    const m = /(\d+)-(\d+)\.json$/.exec(k)!;
    return [Number(m[1]), Number(m[2])];
  });
}
