#!/usr/bin/env bun
/**
 * Writes one `#!/bin/sh` wrapper per entry of the root package.json "bin" field
 * (sync-server, sync-client, sync-archiver) into a directory, each exec-ing `bun <repo>/<path>`.
 *
 * The container image puts them in /usr/local/bin, and the compose smoke test puts them in a temp
 * dir on its PATH, so both run the compose commands (`sync-server`, `sync-archiver run ...`)
 * through the same names and the same bin table.
 *
 * Usage: bun deploy/install-bins.ts <target-dir> [repo-root]
 * @module
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * @example
 * installBins("/usr/local/bin", "/app"); // -> ["sync-server", "sync-client", "sync-archiver"]
 */
export function installBins(targetDir: string, repoRoot: string = resolve(import.meta.dir, "..")): string[] {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { bin?: Record<string, string> };
  const bins = Object.entries(pkg.bin ?? {});
  if (bins.length === 0) throw new Error(`${join(repoRoot, "package.json")} has no "bin" entries`);
  mkdirSync(targetDir, { recursive: true });
  for (const [name, path] of bins) {
    const file = join(targetDir, name);
    writeFileSync(file, `#!/bin/sh\nexec bun ${JSON.stringify(join(repoRoot, path))} "$@"\n`);
    chmodSync(file, 0o755);
  }
  return bins.map(([name]) => name);
}

if (import.meta.main) {
  const [target, root] = process.argv.slice(2);
  if (!target) {
    console.error("usage: bun deploy/install-bins.ts <target-dir> [repo-root]");
    process.exit(2);
  }
  console.log(`installed ${installBins(resolve(target), root ? resolve(root) : undefined).join(", ")} in ${resolve(target)}`);
}
