/**
 * Snapshots of the server replica for replicas that cannot (or should not) replay the log:
 * built with `EXPORT DATABASE` between two apply batches, packed as one tar file, cached in
 * `DATA_DIR/snapshots`, served by `GET /snapshot`, refreshed as the log grows, and rebuilt on
 * demand whenever the cached one no longer reaches the archive horizon.
 *
 * Why a served snapshot is always usable: a client that loads a snapshot at seq S tails the log
 * from S + 1, so S must be ≥ horizon − 1. The archiver never purges past what the server replica
 * has durably applied (meta `replica_seq`), so the replica is always at or past horizon − 1 and a
 * fresh export always qualifies; a cached one that fell behind the horizon is never served.
 * @module
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { SnapshotOffer } from "@kuzu-sync/protocol";
import type { EventLog } from "@kuzu-sync/log";
import { writeSnapshotArchive, type SnapshotArchive } from "@kuzu-sync/replica";
import type { Logger } from "@kuzu-sync/telemetry";
import type { ServerReplica } from "./server-replica.ts";

/** HTTP path the snapshot is served on. */
export const SNAPSHOT_PATH = "/snapshot";

export interface SnapshotServiceOptions {
  readonly follower: ServerReplica;
  readonly log: EventLog;
  /** Directory for the cached archives (emptied at start). */
  readonly dir: string;
  readonly logger: Logger;
  /**
   * Build a new snapshot in the background once the server replica has applied this many events
   * past the cached one (only while snapshots are in use: something is archived, or the log is
   * long enough for bootstrap offers). 0: only on demand.
   */
  readonly refreshEvents: number;
  /** Offer a snapshot to a client that would replay at least this many events; 0: never offer. */
  readonly bootstrapMinEvents: number;
}

/**
 * @example
 * const snapshots = new SnapshotService({ follower, log, dir, logger, refreshEvents: 10_000, bootstrapMinEvents: 50_000 });
 * snapshots.start();
 * const offer = snapshots.offerFor(hello.lastSeq); // goes into welcome.snapshot
 */
export class SnapshotService {
  readonly #o: SnapshotServiceOptions;
  #current: SnapshotArchive | null = null;
  #building: Promise<SnapshotArchive> | null = null;
  #unsubscribe: (() => void) | null = null;
  #stopped = false;
  readonly #built = new Set<(snap: SnapshotArchive) => void>();

  constructor(options: SnapshotServiceOptions) {
    this.#o = options;
  }

  /** The cached snapshot, if any (it may be behind the horizon; {@link ensureFresh} checks). */
  get current(): SnapshotArchive | null {
    return this.#current;
  }

  start(): void {
    rmSync(this.#o.dir, { recursive: true, force: true });
    mkdirSync(this.#o.dir, { recursive: true });
    if (this.#o.refreshEvents > 0) {
      this.#unsubscribe = this.#o.follower.onApplied(() => {
        const seq = this.#o.follower.appliedSeq;
        if (this.#stopped || this.#building || !this.#inUse()) return;
        if (seq - (this.#current?.seq ?? 0) < this.#o.refreshEvents && this.#usable(this.#current)) return;
        this.#build().catch(() => {}); // logged in #build; the next request retries
      });
    }
  }

  /** Called with each snapshot built (its digest is the server replica's at its seq). */
  onBuilt(listener: (snap: SnapshotArchive) => void): void {
    this.#built.add(listener);
  }

  /** Resolves when no snapshot is being built (a failed build counts as finished). */
  async idle(): Promise<void> {
    await this.#building?.catch(() => {});
  }

  /** Wait for a build in progress; stop refreshing. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    await this.#building?.catch(() => {});
  }

  /**
   * What to put in `welcome.snapshot` for a client at `lastSeq`: required when the events after
   * it are archived, offered when the replay would be at least `bootstrapMinEvents` long.
   */
  offerFor(lastSeq: number): SnapshotOffer | null {
    const { log, follower } = this.#o;
    const horizon = log.horizonSeq;
    // What GET /snapshot would serve now: the cached archive if it still reaches the horizon,
    // otherwise a fresh export at the replica's position.
    const seq = this.#usable(this.#current) ? this.#current!.seq : follower.appliedSeq;
    if (lastSeq < horizon - 1) return { seq, url: SNAPSHOT_PATH, required: true };
    const min = this.#o.bootstrapMinEvents;
    if (min > 0 && seq - lastSeq >= min) return { seq, url: SNAPSHOT_PATH, required: false };
    return null;
  }

  /** A snapshot a client can tail the log from: the cached one, or a new one. */
  async ensureFresh(): Promise<SnapshotArchive> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.#usable(this.#current)) return this.#current!;
      await this.#build();
    }
    // The archiver outran three builds in a row; the replica itself is always usable, so go on.
    return this.#build();
  }

  /** `GET /snapshot`: the archive, with its seq and sha256 in headers. */
  async handle(): Promise<Response> {
    let snap: SnapshotArchive;
    try {
      snap = await this.ensureFresh();
    } catch (error) {
      return Response.json({ error: `snapshot unavailable: ${String(error)}` }, { status: 503 });
    }
    return new Response(Bun.file(snap.path), {
      headers: {
        "content-type": "application/x-tar",
        "content-length": String(snap.bytes),
        "x-snapshot-seq": String(snap.seq),
        "x-snapshot-sha256": snap.sha256,
        "x-snapshot-registry-hash": snap.registryHash,
        // The server replica's graph digest at X-Snapshot-Seq (also in snapshot.json).
        "x-snapshot-digest": snap.digest.sha256,
        "cache-control": "no-store",
      },
    });
  }

  /** Snapshot state for /health and /stats. */
  describe(): Record<string, unknown> {
    return { snapshotSeq: this.#current?.seq ?? null, snapshotBytes: this.#current?.bytes ?? null };
  }

  #inUse(): boolean {
    const min = this.#o.bootstrapMinEvents;
    return this.#o.log.horizonSeq > 1 || (min > 0 && this.#o.log.headSeq >= min);
  }

  #usable(snap: SnapshotArchive | null): boolean {
    return snap !== null && snap.seq >= this.#o.log.horizonSeq - 1;
  }

  /** One build at a time; concurrent callers share it. */
  #build(): Promise<SnapshotArchive> {
    this.#building ??= (async () => {
      const { follower, log, logger, dir } = this.#o;
      const started = performance.now();
      try {
        // Never export a replica that has not reached the horizon: a client could not tail from it.
        await follower.waitFor(log.horizonSeq - 1);
        const seq = follower.appliedSeq;
        const snap = await writeSnapshotArchive(follower.replica, join(dir, `snapshot-${seq}-${Date.now()}.tar`), dir);
        this.#current = snap;
        this.#prune(snap.path);
        for (const listener of this.#built) listener(snap);
        logger.info("snapshot built", { seq: snap.seq, bytes: snap.bytes, ms: Math.round(performance.now() - started) });
        return snap;
      } catch (error) {
        logger.error("snapshot build failed", { error: String(error) });
        throw error;
      } finally {
        this.#building = null;
      }
    })();
    return this.#building;
  }

  /** Keep the newest archive and the one before it (a download of that may still be running). */
  #prune(keep: string): void {
    const archives = readdirSync(this.#o.dir)
      .filter((f) => /^snapshot-\d+-\d+\.tar$/.test(f))
      .map((f) => join(this.#o.dir, f))
      .filter((p) => p !== keep)
      .sort((a, b) => Number(/-(\d+)\.tar$/.exec(b)![1]) - Number(/-(\d+)\.tar$/.exec(a)![1]));
    for (const old of archives.slice(1)) rmSync(old, { force: true });
  }
}
