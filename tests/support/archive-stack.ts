/**
 * A gateway stack an archive pass can run against, on either log: one embedded gateway, or
 * gateways sharing a JetStream stream on a real nats-server; an s3rver bucket; and `archiveAll`,
 * which runs the real `sync-archiver` once every server replica has caught up.
 * @module
 */
import { positionsAt } from "./aged-stream.ts";
import { runArchiver, type ArchiverResult } from "./archiver-process.ts";
import { startGatewayProcess, type GatewayProcess, type GatewayProcessOptions } from "./gateway-process.ts";
import { waitForHorizon, waitForReplica } from "./health.ts";
import { NatsServer } from "./nats-server.ts";
import { startS3Server, type S3Server } from "./s3-server.ts";

export type LogBackend = "embedded" | "jetstream";

/** The gateways' default stream name. */
export const STREAM = "KUZU_SYNC_EVENTS";

export interface ArchiveStack extends AsyncDisposable {
  readonly backend: LogBackend;
  readonly gateways: readonly GatewayProcess[];
  readonly s3: S3Server;
  /** JetStream only. */
  readonly nats: NatsServer | null;
  /** The archiver's environment for this stack's log. */
  readonly archiverEnv: Readonly<Record<string, string>>;
  /** One more gateway on the same log (JetStream: the same stream), e.g. with a given data dir. */
  startGateway(options?: GatewayProcessOptions): Promise<GatewayProcess>;
  /**
   * `sync-archiver run --older-than 0s` once every gateway's server replica has applied `head`
   * (and, with JetStream, recorded it); resolves when every gateway reports the horizon
   * `head + 1`. Throws with the archiver's output when the pass did not archive through `head`.
   */
  archiveAll(head: number): Promise<ArchiverResult>;
}

/**
 * @example
 * await using stack = await startArchiveStack("jetstream", 2);
 * await stack.archiveAll(head);
 */
export async function startArchiveStack(backend: LogBackend, gatewayCount = 1): Promise<ArchiveStack> {
  let stack = new AsyncDisposableStack();
  try {
    const nats = backend === "jetstream" ? stack.use(await NatsServer.start()) : null;
    const s3 = stack.use(await startS3Server());
    const args = nats === null ? [] : ["--log", "jetstream", "--nats-url", nats.url];
    const gateways: GatewayProcess[] = [];
    // Gateways stop before NATS and S3 go away (the stack disposes in reverse order).
    const startGateway = async (options: GatewayProcessOptions = {}) => {
      const gw = stack.use(await startGatewayProcess({ ...options, args: [...args, ...(options.args ?? [])] }));
      gateways.push(gw);
      return gw;
    };
    for (let i = 0; i < gatewayCount; i++) await startGateway();
    const envOf = (): Record<string, string> =>
      nats === null ? { ...s3.env, DATA_DIR: gateways[0]!.dataDir } : { ...s3.env, LOG_BACKEND: "jetstream", NATS_URL: nats.url };
    // From here on the returned object owns everything, gateways started later included.
    stack = stack.move();
    const owned = stack;
    return {
      backend,
      gateways,
      s3,
      nats,
      get archiverEnv() {
        return envOf();
      },
      startGateway,
      async archiveAll(head) {
        const running = gateways.filter((g) => g.proc.exitCode === null);
        for (const gw of running) await waitForReplica(gw.httpUrl, head);
        if (nats !== null) await positionsAt(nats.url, STREAM, running.length, head);
        const r = await runArchiver(["run", "--older-than", "0s", "--segment-events", "100"], envOf());
        if (r.code !== 0 || r.stderr !== "" || !r.stdout.includes(`the hot log now starts at seq ${head + 1}`)) {
          throw new Error(`archive pass through ${head} failed: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
        }
        for (const gw of running) await waitForHorizon(gw.httpUrl, head + 1);
        return r;
      },
      [Symbol.asyncDispose]: () => owned.disposeAsync(),
    };
  } catch (error) {
    await stack.disposeAsync();
    throw error;
  }
}
