/**
 * Bootstrap from a peer gateway (JetStream mode, `--bootstrap-from`): when this gateway's server
 * replica or id index cannot catch up from the shared stream (a new gateway after an archive pass,
 * a lost data directory), copy both from a running peer before serving:
 *
 * 1. `GET /snapshot` → import into a staging directory beside the data (seq S, registry checked);
 * 2. record S as this gateway's replica position in KV at once (new origin id), so the archiver
 *    keeps everything after S while this gateway catches up;
 * 3. `GET /index-snapshot` → the peer's id index at head H ≥ S (it is fetched after the snapshot,
 *    and the peer's index is never behind its replica), verified, given the new origin;
 * 4. check the stream still holds S + 1 (the archiver may have purged before step 2 landed);
 * 5. swap both into the data directory. The gateway then consumes from H + 1 and applies from S + 1.
 *
 * Any failure removes the staging directory (and the KV entry of step 2): the data directory is
 * left as it was and start-up stops with a message naming the cause.
 * @module
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { JetStreamManager } from "nats";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import { archiveKv, JetStreamIndex, positionValue, replicaPositionKey, streamHorizon, type NatsLink } from "@kuzu-sync/log";
import { DownloadError, Replica, downloadArchive, openSnapshotArchive } from "@kuzu-sync/replica";
import type { Logger } from "@kuzu-sync/telemetry";
import { INDEX_SNAPSHOT_HEADER_PREFIX, INDEX_SNAPSHOT_PATH } from "./index-snapshot.ts";
import { SNAPSHOT_PATH } from "./snapshot-service.ts";

/** Prefix of the staging directories a bootstrap makes in the data directory. */
const STAGING_PREFIX = ".peer-bootstrap-";

export interface PeerBootstrapOptions {
  /** The peer's HTTP(S) base URL (config `bootstrapFrom`). */
  readonly peer: string;
  /** Token for the peer's HTTP routes; never logged. */
  readonly token: string | null;
  readonly dataDir: string;
  /** This gateway's server replica (`DATA_DIR/replica/db.kuzu`). */
  readonly replicaPath: string;
  /** This gateway's id index (`DATA_DIR/jetstream-index.sqlite`). */
  readonly indexPath: string;
  /** Hash of the registry this gateway serves; the peer's snapshot must match it. */
  /** This gateway's registry file: a peer snapshot of the same version must have its hash. */
  readonly registryHash: string;
  readonly registryVersion: number;
  readonly link: NatsLink;
  readonly stream: string;
  /** Replicas of the KV bucket when this gateway creates it. */
  readonly replicas: number;
  readonly logger: Logger;
}

/** What a bootstrap did: nothing (the local state catches up alone), or copied at `seq`/`head`. */
export type PeerBootstrapResult = { readonly bootstrapped: false } | { readonly bootstrapped: true; readonly seq: number; readonly head: number };

/**
 * Bootstrap this gateway's data directory from `options.peer` if, and only if, it cannot catch up
 * from the stream by itself.
 * @example
 * const result = await bootstrapFromPeer({ peer: "http://gw1:8080", token: null, dataDir, replicaPath, indexPath, registryHash, registryVersion: 1, link, stream, replicas: 1, logger });
 */
export async function bootstrapFromPeer(o: PeerBootstrapOptions): Promise<PeerBootstrapResult> {
  const jsm = await (await o.link.connection).jetstreamManager();
  const horizon = await readStreamHorizon(jsm, o.stream);
  const replicaSeq = await localReplicaSeq(o.replicaPath);
  const indexHead = JetStreamIndex.headAt(o.indexPath);
  if (horizon === null || Math.min(replicaSeq, indexHead) >= horizon - 1) {
    o.logger.info("--bootstrap-from not needed: the local server replica and index catch up from the stream", { peer: o.peer, replicaSeq, indexHead, horizon });
    return { bootstrapped: false };
  }
  o.logger.info("bootstrapping from a peer gateway: the local state is behind the stream's first seq", { peer: o.peer, replicaSeq, indexHead, horizon });
  mkdirSync(o.dataDir, { recursive: true });
  for (const f of readdirSync(o.dataDir)) if (f.startsWith(STAGING_PREFIX)) rmSync(join(o.dataDir, f), { recursive: true, force: true });
  const stage = mkdtempSync(join(o.dataDir, STAGING_PREFIX));
  const origin = crypto.randomUUID();
  let unrecord: (() => Promise<void>) | null = null;
  try {
    const seq = await stageReplica(o, stage);
    unrecord = await recordPosition(o, origin, seq);
    const head = await stageIndex(o, stage, origin, seq);
    const now = await readStreamHorizon(jsm, o.stream);
    if (now !== null && seq < now - 1) {
      throw new SyncError(ErrorCode.SNAPSHOT_REQUIRED, `the stream was archived past the peer's snapshot while bootstrapping (snapshot at seq ${seq}, stream now starts at ${now}); start again`);
    }
    swapIn(o, stage);
    o.logger.info("bootstrapped from a peer gateway", { peer: o.peer, replicaSeq: seq, indexHead: head, origin });
    return { bootstrapped: true, seq, head };
  } catch (error) {
    await unrecord?.().catch(() => {});
    throw explain(o.peer, error);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The stream's first seq (last + 1 when it holds nothing); null when the stream does not exist yet. */
async function readStreamHorizon(jsm: JetStreamManager, stream: string): Promise<number | null> {
  try {
    return streamHorizon((await jsm.streams.info(stream)).state);
  } catch (error) {
    if (/stream not found/i.test(String(error))) return null;
    throw new SyncError(ErrorCode.LOG_UNAVAILABLE, `cannot read stream ${stream}: ${String(error)}`, { cause: error });
  }
}

/** Applied seq of the replica at `path`; 0 when there is none (nothing is created). */
async function localReplicaSeq(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  const replica = await Replica.open({ path });
  try {
    return replica.appliedSeq;
  } finally {
    await replica.close();
  }
}

/** Download the peer's snapshot and import it as `stage/replica/db.kuzu`; its seq. */
async function stageReplica(o: PeerBootstrapOptions, stage: string): Promise<number> {
  const archive = join(stage, "snapshot.tar");
  const got = await downloadArchive(new URL(`${o.peer}${SNAPSHOT_PATH}`), archive, o.token === null ? {} : { token: o.token });
  const announced = got.headers.get("x-snapshot-registry-hash");
  const replica = await openSnapshotArchive(archive, { path: join(stage, "replica", "db.kuzu"), logger: o.logger.child({ component: "server-replica" }) }, stage);
  try {
    // Another version of this deployment's registry is fine (start-up then upgrades or adopts);
    // the same version with another hash is another deployment.
    const theirs = { hash: replica.registryHash ?? announced ?? "", version: replica.registryVersion };
    if (theirs.hash !== o.registryHash && (theirs.version === null || theirs.version === o.registryVersion)) throw registryMismatch(theirs.hash, o.registryHash);
    return replica.appliedSeq;
  } finally {
    await replica.close();
    rmSync(archive, { force: true });
  }
}

/** Record `seq` as gateway `origin`'s position; returns how to remove that entry again. */
async function recordPosition(o: PeerBootstrapOptions, origin: string, seq: number): Promise<() => Promise<void>> {
  const kv = await archiveKv((await o.link.connection).jetstream(), o.replicas);
  const key = replicaPositionKey(o.stream, origin);
  await kv.put(key, positionValue(origin, seq));
  return async () => void (await kv.delete(key));
}

/** Download the peer's index to `stage/index.sqlite`, check it, and give it this gateway's origin; its head. */
async function stageIndex(o: PeerBootstrapOptions, stage: string, origin: string, seq: number): Promise<number> {
  const path = join(stage, "index.sqlite");
  const got = await downloadArchive(new URL(`${o.peer}${INDEX_SNAPSHOT_PATH}`), path, {
    headerPrefix: INDEX_SNAPSHOT_HEADER_PREFIX,
    ...(o.token === null ? {} : { token: o.token }),
  });
  const { integrity, head } = JetStreamIndex.inspectCopy(path);
  if (integrity !== "ok" || head !== got.seq) {
    throw new SyncError(ErrorCode.BAD_MESSAGE, `the peer's index is not usable: integrity ${String(integrity)}, head ${head}, announced ${String(got.seq)}`);
  }
  if (head < seq) throw new SyncError(ErrorCode.BAD_MESSAGE, `the peer's index (head ${head}) is behind its snapshot (seq ${seq})`);
  JetStreamIndex.claimCopy(path, origin);
  return head;
}

/** Replace the data directory's replica and index with the staged ones (renames, same file system). */
function swapIn(o: PeerBootstrapOptions, stage: string): void {
  const replicaDir = dirname(o.replicaPath);
  if (existsSync(replicaDir)) renameSync(replicaDir, join(stage, "old-replica"));
  renameSync(join(stage, "replica"), replicaDir);
  for (const suffix of ["-wal", "-shm"]) rmSync(`${o.indexPath}${suffix}`, { force: true });
  renameSync(join(stage, "index.sqlite"), o.indexPath);
}

function registryMismatch(theirs: string, ours: string): SyncError {
  return new SyncError(ErrorCode.REGISTRY_MISMATCH, `the peer's snapshot was built with registry ${theirs.slice(0, 12)}, this gateway serves ${ours.slice(0, 12)} (TEMPLATES_PATH must be the same)`);
}

/** One message for the operator: what failed, where, and that nothing was changed. */
function explain(peer: string, error: unknown): SyncError {
  const hint =
    error instanceof DownloadError && (error.status === 401 || error.status === 403)
      ? " (set BOOTSTRAP_TOKEN / --bootstrap-token to a token the peer accepts)"
      : error instanceof DownloadError && error.status === 404
        ? " (is the peer a gateway with --log jetstream on the same stream?)"
        : "";
  const code = error instanceof SyncError ? error.code : ErrorCode.INTERNAL;
  const message = error instanceof Error ? error.message : String(error);
  return new SyncError(code, `cannot bootstrap from peer ${peer}: ${message}${hint}; the data directory was left as it was`, { cause: error });
}
