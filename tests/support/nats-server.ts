/**
 * Starts real `nats-server` processes for tests: one JetStream node, or a cluster of JetStream
 * nodes on loopback, each on a random port with its own temp store; kill -9 and restart on the
 * same port and store. (In the spirit of nats-io/nats.js `nst/src/launcher.ts`.)
 *
 * A missing binary is an error that says how to install it: tests that need NATS fail, never skip.
 * @module
 */
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LineWatcher } from "./lines.ts";

/** The nats-server binary: `NATS_SERVER_BIN`, else `nats-server` on PATH. */
export function natsServerBinary(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const explicit = env["NATS_SERVER_BIN"];
  const found = explicit || Bun.which("nats-server", { PATH: env["PATH"] ?? "" });
  if (!found) {
    throw new Error(
      "nats-server is not installed, and these tests need a real one. Install it with\n" +
        "  apt-get install -y nats-server      (Debian/Ubuntu; `./dev test` does this when run as root)\n" +
        "or put a nats-server binary (v2.9+, from the nats-io/nats-server releases) on PATH, or set NATS_SERVER_BIN.",
    );
  }
  return found;
}

/** A free TCP port on loopback (for cluster routes, which must be known before the nodes start). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

interface NodeSpec {
  readonly name: string;
  readonly storeDir: string;
  readonly configPath: string;
  /** Client port; 0 until the first start picked one. */
  port: number;
  readonly clusterPort: number | null;
  readonly routes: readonly number[];
}

/** One nats-server process (a standalone server or a cluster node). */
export class NatsServer implements AsyncDisposable {
  readonly #spec: NodeSpec;
  readonly #bin: string;
  #proc: Subprocess<"ignore", "ignore", "pipe"> | null = null;
  /** The current process's log (a restart starts a new one). */
  #log: LineWatcher | null = null;

  private constructor(spec: NodeSpec, bin: string) {
    this.#spec = spec;
    this.#bin = bin;
  }

  /** A standalone JetStream server on a random port with a fresh file store. */
  static async start(name = "n1"): Promise<NatsServer> {
    const bin = natsServerBinary();
    const dir = mkdtempSync(join(tmpdir(), `nats-${name}-`));
    const server = new NatsServer({ name, storeDir: dir, configPath: join(dir, "nats.conf"), port: 0, clusterPort: null, routes: [] }, bin);
    await server.#launch();
    return server;
  }

  /** @internal used by NatsCluster */
  static async node(spec: NodeSpec): Promise<NatsServer> {
    const server = new NatsServer(spec, natsServerBinary());
    await server.#launch();
    return server;
  }

  get name(): string {
    return this.#spec.name;
  }

  get port(): number {
    return this.#spec.port;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.#spec.port}`;
  }

  get storeDir(): string {
    return this.#spec.storeDir;
  }

  /** Process id of the running node (for CPU accounting in benchmarks); null when stopped. */
  get pid(): number | null {
    return this.#proc?.pid ?? null;
  }

  get running(): boolean {
    return this.#proc !== null && this.#proc.exitCode === null && this.#proc.signalCode === null;
  }

  /** kill -9, and wait for the process to be gone. */
  async kill(): Promise<void> {
    const proc = this.#proc;
    if (!proc) return;
    this.#proc = null;
    proc.kill("SIGKILL");
    await proc.exited;
  }

  /** Start again on the same port with the same store. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#launch();
  }

  /** Log lines of the current process. */
  get output(): readonly string[] {
    return this.#log?.lines ?? [];
  }

  /** Resolves when a log line of the current process matches; rejects when it exits first. */
  waitForLine(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    if (this.#log === null) return Promise.reject(new Error(`nats-server ${this.name} is not running`));
    return this.#log.waitForLine(pattern, timeoutMs);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
    rmSync(this.#spec.storeDir, { recursive: true, force: true });
  }

  async #launch(): Promise<void> {
    const s = this.#spec;
    const lines = [
      `server_name: ${s.name}`,
      `listen: "127.0.0.1:${s.port === 0 ? -1 : s.port}"`,
      `jetstream { store_dir: ${JSON.stringify(s.storeDir)} }`,
    ];
    if (s.clusterPort !== null) {
      lines.push(
        "cluster {",
        "  name: kuzu-sync-test",
        `  listen: "127.0.0.1:${s.clusterPort}"`,
        `  routes: [${s.routes.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ")}]`,
        "}",
      );
    }
    writeFileSync(s.configPath, lines.join("\n") + "\n");
    // stderr is read for as long as the process lives: nats-server exits on a broken log pipe.
    const proc = Bun.spawn([this.#bin, "-c", s.configPath], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    this.#proc = proc;
    this.#log = new LineWatcher(`nats-server ${s.name}`, [proc.stderr], proc.exited);
    try {
      const line = await this.waitForLine(/Listening for client connections on/);
      const port = /:(\d+)\s*$/.exec(line);
      if (!port) throw new Error(`cannot read the port from ${JSON.stringify(line)}`);
      s.port = Number(port[1]);
      await this.waitForLine(/Server is ready/);
    } catch (error) {
      await this.kill();
      throw error;
    }
  }
}

/** A JetStream cluster of `size` nodes on loopback, routes between all of them. */
export class NatsCluster implements AsyncDisposable {
  readonly nodes: readonly NatsServer[];

  private constructor(nodes: NatsServer[]) {
    this.nodes = nodes;
  }

  static async start(size = 3): Promise<NatsCluster> {
    natsServerBinary();
    const clusterPorts: number[] = [];
    for (let i = 0; i < size; i++) clusterPorts.push(await freePort());
    const specs: NodeSpec[] = clusterPorts.map((clusterPort, i) => {
      const dir = mkdtempSync(join(tmpdir(), `nats-c${i + 1}-`));
      return { name: `c${i + 1}`, storeDir: dir, configPath: join(dir, "nats.conf"), port: 0, clusterPort, routes: clusterPorts.filter((p) => p !== clusterPort) };
    });
    const started = await Promise.allSettled(specs.map((spec) => NatsServer.node(spec)));
    const nodes = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const cluster = new NatsCluster(nodes);
    const failed = started.find((r) => r.status === "rejected");
    if (failed) {
      await cluster[Symbol.asyncDispose]();
      for (const spec of specs) rmSync(spec.storeDir, { recursive: true, force: true });
      throw (failed as PromiseRejectedResult).reason;
    }
    // JetStream answers once the nodes elected a meta leader; every node logs who it is. Under
    // load the first election can take longer than 20 s when routes are still being set up
    // (duplicate routes closed, reconnects), so this waits up to 40 s for the event itself.
    try {
      await Promise.all(nodes.map((n) => n.waitForLine(/JetStream cluster new metadata leader|Self is new JetStream cluster metadata leader/, 40_000)));
    } catch (error) {
      // No caller holds the cluster yet: stop its nodes here, or they outlive the test run.
      await cluster[Symbol.asyncDispose]();
      throw error;
    }
    return cluster;
  }

  /** Every node's client URL, comma-separated (a NATS_URL). */
  get urls(): string {
    return this.nodes.map((n) => n.url).join(",");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.nodes.map((n) => n[Symbol.asyncDispose]()));
  }
}
