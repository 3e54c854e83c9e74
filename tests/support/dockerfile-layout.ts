/**
 * The image's filesystem, rebuilt without a Docker engine by reading the Dockerfile: each stage
 * gets a temp dir standing for its `/`; `WORKDIR`, `ENV`, `COPY` (from the build context, filtered
 * by .dockerignore, or `--from` another stage) and `RUN` are carried out there, every absolute path
 * of a RUN mapped into that dir. What the base image itself provides (bun, sh) comes from this
 * machine, and `chown` (no `bun` user here) is left out; everything else runs as written, so the
 * image's own build-time checks run too.
 *
 * Not covered: the base image's contents and the container runtime (user, volumes, network).
 * @module
 */
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative } from "node:path";

export interface BuiltImage extends Disposable {
  /** The final stage's `/`. */
  readonly root: string;
  /** Its working directory, mapped (`<root>/app`). */
  readonly workdir: string;
  /** Its ENV, values with absolute paths mapped into `root`. */
  readonly env: Readonly<Record<string, string>>;
  /** PATH to run the image's commands (`<root>/usr/local/bin` first). */
  readonly path: string;
  /** Map an absolute path of the image into `root`. */
  map(path: string): string;
  /** RUN steps that were left out, as written. */
  readonly skipped: readonly string[];
}

interface Stage {
  readonly name: string | undefined;
  readonly root: string;
  workdir: string;
  readonly env: Record<string, string>;
}

/** Dockerfile instructions: comment lines dropped (also inside continuations), continuations joined. */
export function dockerfileInstructions(text: string): { op: string; args: string }[] {
  const lines = text.split("\n").filter((l) => !/^\s*#/.test(l));
  const out: { op: string; args: string }[] = [];
  let current = "";
  for (const line of lines) {
    const continued = /\\\s*$/.test(line);
    current += `${continued ? line.replace(/\\\s*$/, "") : line} `;
    if (continued) continue;
    const trimmed = current.trim();
    current = "";
    if (trimmed === "") continue;
    const m = /^(\S+)\s*(.*)$/.exec(trimmed)!;
    out.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  return out;
}

/**
 * Builds the Dockerfile of `context` into temp dirs; dispose removes them.
 * @example
 * using image = buildDockerfileLayout(REPO_ROOT);
 * Bun.spawnSync(["sync-server", "--help"], { env: { ...process.env, PATH: image.path } });
 */
export function buildDockerfileLayout(context: string): BuiltImage {
  const base = mkdtempSync(join(tmpdir(), "image-layout-"));
  const ignore = dockerignore(context);
  const stages: Stage[] = [];
  const skipped: string[] = [];
  try {
    for (const { op, args } of dockerfileInstructions(readFileSync(join(context, "Dockerfile"), "utf8"))) {
      if (op === "FROM") {
        const m = /^\S+(?:\s+AS\s+(\S+))?$/i.exec(args);
        const root = join(base, `stage-${stages.length}`);
        mkdirSync(root);
        stages.push({ name: m?.[1], root, workdir: "/", env: {} });
        continue;
      }
      const stage = stages.at(-1);
      if (!stage) throw new Error(`Dockerfile: ${op} before FROM`);
      const map = (path: string) => join(stage.root, path);
      switch (op) {
        case "WORKDIR":
          stage.workdir = isAbsolute(args) ? args : join(stage.workdir, args);
          mkdirSync(map(stage.workdir), { recursive: true });
          break;
        case "ENV": {
          const m = /^(\w+)=(.*)$/.exec(args);
          if (!m) throw new Error(`Dockerfile: ENV ${args}: only KEY=value is supported here`);
          stage.env[m[1]!] = m[2]!;
          break;
        }
        case "COPY":
          copy(stage, stages, args, context, ignore);
          break;
        case "RUN":
          run(stage, args, skipped);
          break;
        default:
          // USER, VOLUME, EXPOSE, CMD, ARG: container runtime, nothing on the filesystem.
          break;
      }
    }
  } catch (error) {
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
  const last = stages.at(-1)!;
  const map = (path: string) => join(last.root, path);
  return {
    root: last.root,
    workdir: map(last.workdir),
    env: Object.fromEntries(Object.entries(last.env).map(([k, v]) => [k, v.startsWith("/") ? map(v) : v])),
    path: `${map("/usr/local/bin")}:${process.env["PATH"] ?? "/usr/bin:/bin"}`,
    map,
    skipped,
    [Symbol.dispose]: () => rmSync(base, { recursive: true, force: true }),
  };
}

function copy(stage: Stage, stages: readonly Stage[], args: string, context: string, ignore: (rel: string) => boolean): void {
  const words = args.split(/\s+/);
  const from = words[0]?.startsWith("--from=") ? words.shift()!.slice("--from=".length) : undefined;
  const dest = words.pop()!;
  const target = join(stage.root, isAbsolute(dest) ? dest : join(stage.workdir, dest));
  const source = from === undefined ? undefined : stages.find((s) => s.name === from);
  if (from !== undefined && !source) throw new Error(`Dockerfile: COPY --from=${from}: no such stage`);
  const intoDir = dest.endsWith("/") || words.length > 1;
  for (const src of words) {
    const path = source ? join(source.root, src) : join(context, src);
    if (!existsSync(path)) throw new Error(`Dockerfile: COPY ${src}: not found`);
    const to = statSync(path).isDirectory() || !intoDir ? target : join(target, src.split("/").at(-1)!);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(path, to, {
      recursive: true,
      verbatimSymlinks: true,
      // Symlinks (the isolated install's node_modules) are copied as they are, never followed.
      filter: (p) => source !== undefined || !ignore(relative(context, p)),
    });
  }
}

function run(stage: Stage, script: string, skipped: string[]): void {
  const map = (path: string) => join(stage.root, path);
  const steps = script.split(/\s+&&\s+/).map((step) => {
    if (/^chown\b/.test(step)) {
      skipped.push(step);
      return "true";
    }
    // Every absolute path (a word starting with "/") is the image's: map it into the stage.
    return step.replace(/(^|\s)(\/[^\s"']*)/g, (_, space: string, path: string) => `${space}${map(path)}`);
  });
  const mapped = steps.join(" && ");
  for (const m of mapped.matchAll(/(?:^|\s)(\/[^\s"']*)/g)) {
    if (!m[1]!.startsWith(stage.root)) throw new Error(`Dockerfile RUN: refusing to run with ${m[1]} outside the stage: ${script}`);
  }
  const env: Record<string, string> = { ...(process.env as Record<string, string>), PATH: `${map("/usr/local/bin")}:${process.env["PATH"] ?? ""}` };
  for (const [k, v] of Object.entries(stage.env)) env[k] = v.startsWith("/") ? map(v) : v;
  const r = Bun.spawnSync(["sh", "-ec", mapped], { cwd: map(stage.workdir), env, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`Dockerfile RUN failed (${r.exitCode}): ${script}\n${r.stdout.toString()}${r.stderr.toString()}`);
}

/** .dockerignore as a predicate on context-relative paths (a pattern also covers what is below it). */
function dockerignore(context: string): (rel: string) => boolean {
  const file = join(context, ".dockerignore");
  const patterns = existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"))
        .map((p) => new Bun.Glob(p.replace(/^\/+|\/+$/g, "")))
    : [];
  return (rel) => {
    if (rel === "") return false;
    const parts = rel.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      if (patterns.some((g) => g.match(prefix))) return true;
    }
    return false;
  };
}

/** Whether `path` is a symlink (lstat), for assertions on the layout. */
export function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
