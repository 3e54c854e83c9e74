/**
 * Assemble a running sync-server from its config: event log, server replica, gateway.
 * @module
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { TemplateRegistry, exampleRegistry } from "@kuzu-sync/protocol";
import { JetStreamEventLog, NatsLink, SqliteEventLog, type EventLog } from "@kuzu-sync/log";
import { CrashGuard, Replica } from "@kuzu-sync/replica";
import type { Logger } from "@kuzu-sync/telemetry";
import type { ServerConfig } from "./config.ts";
import { ConfigError } from "./config.ts";
import { createAuthenticator } from "./auth.ts";
import { DigestService } from "./digest-service.ts";
import { replicaHealth } from "./gateway-health.ts";
import { startGateway, type Gateway } from "./gateway.ts";
import { EventPublisher } from "./event-publisher.ts";
import { IndexSnapshotService } from "./index-snapshot.ts";
import { bootstrapFromPeer } from "./peer-bootstrap.ts";
import { RegistryState } from "./registry-state.ts";
import { settleRegistry } from "./registry-startup.ts";
import { ServerReplica } from "./server-replica.ts";
import { SnapshotService } from "./snapshot-service.ts";

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  readonly log: EventLog;
  readonly replica: ServerReplica;
  readonly gateway: Gateway;
  readonly snapshots: SnapshotService;
  readonly digests: DigestService;
  /** Stop accepting, flush the log, let the replica finish its batch, close Kuzu and SQLite. */
  stop(): Promise<void>;
}

/** Load a deployment's registry module: default export or `registry`, a TemplateRegistry. */
export async function loadRegistry(path: string | null): Promise<TemplateRegistry> {
  if (path === null) return exampleRegistry;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(path)) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`TEMPLATES_PATH=${path} cannot be loaded: ${(error as Error).message}`);
  }
  const registry = mod["default"] ?? mod["registry"];
  if (!(registry instanceof TemplateRegistry)) {
    throw new ConfigError(`TEMPLATES_PATH=${path} must export (default or \`registry\`) the result of defineTemplates()`);
  }
  return registry;
}

/**
 * @example
 * const server = await startServer(config, logger);
 * logger.info("listening", { port: server.port });
 * await server.stop();
 */
export async function startServer(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  const registry = await loadRegistry(config.templatesPath);
  const auth = await createAuthenticator(config.auth);
  if (auth === null) {
    logger.warn("authentication is OFF: any client can connect, claim any client id and write; set AUTH_JWT_SECRET, AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE (and --require-auth in production)");
  } else {
    logger.info("authentication on", { sources: auth.sources, templatesClaim: config.auth.templatesClaim });
  }
  if (config.allowRawDml) logger.warn("raw DML is ON: checked Cypher writes (MATCH/CREATE/MERGE/SET/DELETE...) are accepted and run on every replica");
  const serverId = crypto.randomUUID();
  const nats = config.natsUrl === null ? null : NatsLink.open({ url: config.natsUrl, name: `kuzu-sync-gateway ${serverId}`, logger });
  const publisher = nats === null ? null : new EventPublisher(nats, logger);
  const logPath = join(config.dataDir, config.logBackend === "jetstream" ? "jetstream-index.sqlite" : "events.sqlite");
  const replicaPath = join(config.dataDir, "replica", "db.kuzu");
  let log: EventLog;
  let jetstream: JetStreamEventLog | null = null;
  try {
    if (config.logBackend === "jetstream" && config.bootstrapFrom !== null) {
      await bootstrapFromPeer({
        peer: config.bootstrapFrom,
        token: config.bootstrapToken,
        dataDir: config.dataDir,
        replicaPath,
        indexPath: logPath,
        registryHash: registry.hash,
        registryVersion: registry.version,
        link: nats!,
        stream: config.stream,
        replicas: config.streamReplicas,
        logger,
      });
    }
    if (config.logBackend === "jetstream") {
      log = jetstream = await JetStreamEventLog.open({
        link: nats!,
        stream: config.stream,
        replicas: config.streamReplicas,
        indexPath: logPath,
        aggregates: registry.toWire().aggregates,
        logger,
      });
    } else {
      log = SqliteEventLog.open({ path: logPath, aggregates: registry.toWire().aggregates, logger });
    }
    // Every JetStream gateway consumes every event; only the one that appended it republishes it.
    if (publisher !== null) log.onCommit(({ own }) => publisher.publish(own));
  } catch (error) {
    await nats?.close();
    throw error;
  }
  let replica: Replica | undefined;
  let current: TemplateRegistry;
  try {
    replica = await Replica.open({ path: replicaPath, logger: logger.child({ component: "server-replica" }) });
    if (replica.appliedSeq < log.horizonSeq - 1) {
      // It could only catch up through events that are archived: fail now rather than serve a
      // replica (and snapshots) that stay behind for ever.
      throw new ConfigError(
        `the server replica in ${join(config.dataDir, "replica")} is at seq ${replica.appliedSeq} but the log starts at seq ${log.horizonSeq} ` +
          `(seqs ${replica.appliedSeq + 1}-${log.horizonSeq - 1} are archived), so it can never catch up from the log. ` +
          (config.logBackend === "jetstream"
            ? "Start it with --bootstrap-from <a running peer gateway's http(s) URL> (BOOTSTRAP_FROM) to copy the server replica and id index from that peer; see docs/ARCHIVE.md"
            : "Copy the data directory of a gateway that is up to date (stopped), or restore the archived range into an embedded log; see docs/ARCHIVE.md"),
      );
    }
    // The registry versions other gateways appended while this one was down come first.
    if (jetstream !== null) await jetstream.caughtUp();
    current = await settleRegistry({ file: registry, log, replica, shared: jetstream !== null, logger });
  } catch (error) {
    await replica?.close();
    await log.close();
    await nats?.close();
    throw error;
  }
  const registryState = new RegistryState(log, registry, current, logger);
  const stopFollowingRegistry = registryState.follow();
  // A poison event (one that crashes the engine) must not crash-loop the gateway: crash-guard.ts.
  const guard = CrashGuard.open({ path: replicaPath, logger: logger.child({ component: "server-replica" }), who: "the gateway's server replica" });
  const follower = new ServerReplica(replica, log, logger, { guard });
  follower.start();
  const digests = new DigestService({ follower, log, logger });
  const snapshots = new SnapshotService({
    follower,
    log,
    dir: join(config.dataDir, "snapshots"),
    logger,
    refreshEvents: config.snapshotEveryEvents,
    bootstrapMinEvents: config.snapshotBootstrapMinEvents,
  });
  snapshots.start();
  snapshots.onBuilt((snap) => digests.remember(snap.seq, snap.digest));
  const indexSnapshots = jetstream === null ? null : new IndexSnapshotService(jetstream, join(config.dataDir, "index-snapshots"), logger);
  indexSnapshots?.start();
  const gateway = startGateway({
    port: config.port,
    host: config.host,
    serverId,
    registry: registryState,
    log,
    logger,
    maxMessageBytes: config.maxMessageBytes,
    maxEventBytes: config.maxEventBytes,
    allowRawDml: config.allowRawDml,
    pageSize: config.pageSize,
    snapshots,
    ...(indexSnapshots === null ? {} : { indexSnapshots }),
    auth,
    allowedOrigins: config.auth.allowedOrigins,
    limits: config.limits,
    // Another gateway may have appended (and served) what this one has not consumed yet.
    headLagWaitMs: jetstream === null ? 0 : 5_000,
    health: () => ({ ...replicaHealth(follower.lag(), follower.halted, config.degradedLagSeconds) }),
    digests,
    describe: () => ({
      replicaSeq: follower.appliedSeq,
      log: config.logBackend,
      ...snapshots.describe(),
      ...(nats === null ? {} : { nats: { connected: nats.connected, ...publisher!.counts } }),
      // Above 1 only when this gateway's index fell behind the stream's first seq (see @kuzu-sync/log's jetstream-index.ts).
      ...(jetstream === null ? {} : { countsFromSeq: jetstream.countsFromSeq, stream: jetstream.streamState }),
    }),
    probes: {
      replicaSeq: () => follower.appliedSeq,
      // JetStream mode: the gateway's own index; the stream's size is a gauge of its own.
      logFileBytes: () => fileBytes(logPath) + fileBytes(`${logPath}-wal`),
      ...(jetstream === null ? {} : { stream: () => jetstream!.streamState }),
    },
  });
  follower.onApplied((events, outcomes) => gateway.activity.emit({ type: "applied", events, outcomes }));
  let stopping: Promise<void> | null = null;
  return {
    port: gateway.port,
    url: gateway.url,
    log,
    replica: follower,
    gateway,
    snapshots,
    digests,
    stop() {
      stopping ??= (async () => {
        await gateway.stop();
        stopFollowingRegistry();
        await snapshots.stop();
        await follower.stop();
        await log.close();
        await nats?.close();
        await replica.close();
      })();
      return stopping;
    },
  };
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // the WAL does not exist between checkpoints
  }
}
