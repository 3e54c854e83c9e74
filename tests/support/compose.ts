/**
 * docker-compose.yml as the tests see it: resolved by the real `docker-compose config` (with the
 * repo's .env), parsed, and helpers to run one of our services' commands natively — compose host
 * names mapped to local processes, named volumes to temp dirs, the service's port to a free one.
 *
 * A missing docker-compose / nats-server binary is an error saying how to install it (never a skip).
 * @module
 */
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LineWatcher } from "./lines.ts";

export const REPO = resolve(import.meta.dir, "../..");
export const COMPOSE_FILE = join(REPO, "docker-compose.yml");

/** `name` on PATH, or an error naming the package that provides it. */
export function requireBinary(name: string, debianPackage: string): string {
  const found = Bun.which(name);
  if (!found) {
    throw new Error(
      `${name} is not installed, and the deployment tests need it. Install it with\n` +
        `  apt-get install -y ${debianPackage}      (Debian/Ubuntu; \`./dev test\` does this when run as root)`,
    );
  }
  return found;
}

export interface ComposeHealthcheck {
  readonly test: readonly string[];
}

export interface ComposeService {
  readonly image?: string;
  readonly build?: unknown;
  readonly command?: readonly string[] | string;
  readonly entrypoint?: readonly string[] | string;
  readonly environment?: Readonly<Record<string, string | null>>;
  readonly ports?: readonly { readonly target: number; readonly published?: number | string }[];
  readonly volumes?: readonly { readonly type: string; readonly source?: string; readonly target: string }[] | readonly string[];
  readonly healthcheck?: ComposeHealthcheck;
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
  readonly profiles?: readonly string[];
}

export interface ComposeConfig {
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly volumes?: Readonly<Record<string, unknown>>;
}

/** Environment for docker-compose: no variable from the test's own shell overrides .env. */
function composeEnv(): Record<string, string> {
  return { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? tmpdir() };
}

/** `docker-compose -f docker-compose.yml <args>` in the repo; exit code and output. */
export function runCompose(args: readonly string[]): { code: number; stdout: string; stderr: string } {
  const bin = requireBinary("docker-compose", "docker-compose");
  const r = Bun.spawnSync([bin, "-f", COMPOSE_FILE, ...args], { cwd: REPO, env: composeEnv(), stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** The compose file as `docker-compose config` resolves it (.env interpolated, all profiles). */
export function loadCompose(): ComposeConfig {
  const r = runCompose(["config"]);
  if (r.code !== 0) throw new Error(`docker-compose config failed (${r.code}):\n${r.stderr}`);
  return Bun.YAML.parse(r.stdout) as ComposeConfig;
}

/** Services built from this repo (the kuzu-sync image), as opposed to third-party images. */
export function ourServices(config: ComposeConfig): string[] {
  const ours = Object.entries(config.services).filter(([, s]) => s.build !== undefined || s.image === "kuzu-sync:dev");
  return ours.map(([name]) => name);
}

/** Our services in an order that honours depends_on (dependencies first). */
export function startOrder(config: ComposeConfig, names: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (out.includes(name) || !names.includes(name)) return;
    if (path.includes(name)) throw new Error(`depends_on cycle: ${[...path, name].join(" -> ")}`);
    for (const dep of Object.keys(config.services[name]?.depends_on ?? {})) visit(dep, [...path, name]);
    out.push(name);
  };
  for (const name of names) visit(name, []);
  return out;
}

/** A compose command/healthcheck list as argv; compose's `$$` escape becomes the shell's `$`. */
export function argv(value: readonly string[] | string | undefined): string[] {
  if (value === undefined) return [];
  const list = typeof value === "string" ? ["sh", "-c", value] : [...value];
  return list.map((a) => a.replaceAll("$$", "$"));
}

export interface Mount {
  readonly type: "volume" | "bind";
  readonly source: string;
  readonly target: string;
}

/** A service's mounts, whichever form `docker-compose config` printed them in (v1: short strings). */
export function mounts(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((v): Mount => {
    if (typeof v === "string") {
      const [source = "", target = ""] = v.split(":");
      return { type: source.startsWith("/") || source.startsWith(".") ? "bind" : "volume", source, target };
    }
    return { type: v.type === "bind" ? "bind" : "volume", source: v.source ?? "", target: v.target };
  });
}

/** Named-volume mounts of a service: volume name -> mount target. */
export function namedVolumes(service: ComposeService): Map<string, string> {
  return new Map(mounts(service).filter((m) => m.type === "volume").map((m) => [m.source, m.target]));
}

/** Temp dirs per named volume, shared by the services that mount the same volume. */
export class VolumeDirs implements Disposable {
  readonly #dirs = new Map<string, string>();

  dir(volume: string): string {
    let d = this.#dirs.get(volume);
    if (!d) {
      d = mkdtempSync(join(tmpdir(), `vol-${volume}-`));
      this.#dirs.set(volume, d);
    }
    return d;
  }

  [Symbol.dispose](): void {
    for (const d of this.#dirs.values()) rmSync(d, { recursive: true, force: true });
  }
}

/**
 * A process with its output collected line by line; killed with its whole process group on
 * dispose (it runs under `setsid`, so a shell loop's `sleep` goes too).
 */
export class NativeProcess implements AsyncDisposable {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly label: string;
  readonly #out: LineWatcher;

  constructor(label: string, cmd: readonly string[], env: Record<string, string>, cwd: string) {
    this.label = label;
    this.proc = Bun.spawn([requireBinary("setsid", "util-linux"), ...cmd], { env, cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    this.#out = new LineWatcher(label, [this.proc.stdout, this.proc.stderr], this.proc.exited);
  }

  /** Every line printed so far (stdout and stderr). */
  get output(): readonly string[] {
    return this.#out.lines;
  }

  waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return this.#out.waitForLine(pattern, timeoutMs);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      try {
        process.kill(-this.proc.pid, "SIGTERM");
      } catch {
        // the group is already gone
      }
    }
    await this.proc.exited;
  }
}

/** A real nats-server with JetStream on random ports (client and monitoring), read from its log; temp store. */
export async function startNats(): Promise<{ url: string; monitorUrl: string; port: number } & AsyncDisposable> {
  const bin = requireBinary("nats-server", "nats-server");
  const store = mkdtempSync(join(tmpdir(), "nats-js-"));
  const proc = new NativeProcess("nats-server", [bin, "-js", "-a", "127.0.0.1", "-p", "-1", "-m", "-1", "-sd", store], { PATH: process.env["PATH"] ?? "" }, store);
  const portOf = async (pattern: RegExp) => Number(/:(\d+)\s*$/.exec(await proc.waitForLine(pattern))?.[1]);
  let port: number;
  let monitor: number;
  try {
    monitor = await portOf(/Starting http monitor on/);
    port = await portOf(/Listening for client connections on/);
    await proc.waitForLine(/Server is ready/);
  } catch (error) {
    await proc[Symbol.asyncDispose]();
    rmSync(store, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    monitorUrl: `http://127.0.0.1:${monitor}`,
    port,
    async [Symbol.asyncDispose]() {
      await proc[Symbol.asyncDispose]();
      rmSync(store, { recursive: true, force: true });
    },
  };
}
