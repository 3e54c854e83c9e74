/**
 * An application project outside this repository that depends on the packed packages: every
 * publishable workspace package (not `private`) packed with `bun pm pack`, the tarballs copied into
 * the project's `vendor/`, and installed with `bun add` as a user would install them from the
 * registry. The tarballs name each other by version (as published packages do), and these
 * versions are not on npm, so the project's `overrides` point each name at its tarball; with the
 * packages published, `bun add @kuzu-sync/client` alone does the same.
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";

import { REPO_ROOT } from "./cli-process.ts";

export { REPO_ROOT };

export interface WorkspacePackage {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  readonly manifest: Record<string, unknown>;
}

export interface PackedPackage extends WorkspacePackage {
  /** The tarball's path. */
  readonly tarball: string;
}

/** The workspace packages meant to be published (every `packages/*` without `"private": true`). */
export function publishablePackages(): WorkspacePackage[] {
  const root = join(REPO_ROOT, "packages");
  return readdirSync(root)
    .filter((d) => existsSync(join(root, d, "package.json")))
    .map((d) => {
      const manifest = JSON.parse(readFileSync(join(root, d, "package.json"), "utf8")) as Record<string, unknown>;
      return { dir: join(root, d), name: String(manifest["name"]), version: String(manifest["version"]), manifest };
    })
    .filter((p) => p.manifest["private"] !== true);
}

/**
 * `bun pm pack` of every publishable package into `dest`.
 * @example const packed = packWorkspace(tempDir);
 */
export function packWorkspace(dest: string): PackedPackage[] {
  return publishablePackages().map((p) => {
    const r = Bun.spawnSync(["bun", "pm", "pack", "--destination", dest, "--quiet"], { cwd: p.dir, stdout: "pipe", stderr: "pipe" });
    const tarball = r.stdout.toString().trim().split("\n").at(-1) ?? "";
    if (r.exitCode !== 0 || !existsSync(tarball)) throw new Error(`bun pm pack in ${p.dir} failed (${r.exitCode}):\n${r.stdout.toString()}${r.stderr.toString()}`);
    return { ...p, tarball };
  });
}

/** The files and manifest inside a tarball (`package/…`). */
export function tarballContents(tarball: string): { files: string[]; manifest: Record<string, unknown> } {
  const list = Bun.spawnSync(["tar", "-tzf", tarball], { stdout: "pipe" });
  const manifest = Bun.spawnSync(["tar", "-xzOf", tarball, "package/package.json"], { stdout: "pipe" });
  return {
    files: list.stdout.toString().trim().split("\n").map((f) => f.replace(/^package\//, "")),
    manifest: JSON.parse(manifest.stdout.toString()) as Record<string, unknown>,
  };
}

export interface ConsumerProject extends Disposable {
  readonly dir: string;
  /** `bun add` output and how long it took. */
  readonly install: { readonly output: string; readonly ms: number };
  /** Run a command in the project to completion. */
  run(argv: readonly string[], options?: { readonly env?: Readonly<Record<string, string>> }): Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * A project in a temp dir (never inside the repository) with `dependencies` installed from the
 * tarballs; `files` (name -> source path) are copied into it.
 * @example using app = createConsumerProject(packed, ["@kuzu-sync/client"], { "registry.ts": REGISTRY });
 */
export function createConsumerProject(packed: readonly PackedPackage[], dependencies: readonly string[], files: Readonly<Record<string, string>> = {}): ConsumerProject {
  const dir = mkdtempSync(join(tmpdir(), "kuzu-sync-consumer-"));
  try {
    if (resolve(dir).startsWith(`${REPO_ROOT}/`)) throw new Error(`${dir} is inside the repository`);
    mkdirSync(join(dir, "vendor"));
    const local = new Map(packed.map((p) => [p.name, `./vendor/${basename(p.tarball)}`]));
    for (const p of packed) copyFileSync(p.tarball, join(dir, local.get(p.name)!));
    writeFileSync(
      join(dir, "package.json"),
      `${JSON.stringify(
        {
          name: "task-board",
          private: true,
          type: "module",
          // kuzu's install script puts its native addon in place; Bun runs it only when trusted.
          trustedDependencies: ["kuzu"],
          overrides: Object.fromEntries([...local].map(([name, path]) => [name, `file:${path}`])),
        },
        null,
        2,
      )}\n`,
    );
    for (const [name, source] of Object.entries(files)) copyFileSync(source, join(dir, name));
    const started = performance.now();
    const add = Bun.spawnSync(["bun", "add", ...dependencies.map((d) => local.get(d) ?? d)], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    const output = `${add.stdout.toString()}${add.stderr.toString()}`;
    if (add.exitCode !== 0) throw new Error(`bun add failed in ${dir} (${add.exitCode}):\n${output}`);
    return {
      dir,
      install: { output, ms: performance.now() - started },
      async run(argv, options = {}) {
        const proc = Bun.spawn([...argv], { cwd: dir, env: { ...process.env, ...options.env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
        const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
        return { code, stdout, stderr };
      },
      [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
