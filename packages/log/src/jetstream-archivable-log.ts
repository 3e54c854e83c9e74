/**
 * A JetStream stream (the gateways' `--log jetstream`) as an {@link ArchivableLog}. The stream
 * sequence is the event seq, so: horizon = the stream's first seq (last seq + 1 once everything is
 * purged), head = its last seq, reads go through one short-lived ephemeral consumer per call in
 * batches of up to 1000 messages, and a purge keeps everything from `seq + 1`
 * (`purge({ seq: seq + 1 })`). After each purge the new horizon is announced on core NATS so
 * gateways send `snapshot: required` at once instead of at their next poll.
 *
 * The purge limit and the lock live in the KV bucket `KUZU_SYNC_ARCHIVE`: each gateway records its
 * server replica's durable position under `replica.<stream>.<gateway>` (and re-records it every
 * 30 s); the limit is the minimum over the gateways that are alive (entry younger than
 * `replicaStaleAfterMs`) and not already behind the horizon. The lock is `lock.<stream>`, created
 * only if absent, renewed while the pass runs, and taken over when its holder is a dead process
 * of this host or when it has not been renewed for `lockStaleMs` (another host).
 * @module
 */
import { hostname } from "node:os";
import { connect, type JetStreamClient, type JetStreamManager, type KV, type NatsConnection, type StreamInfo } from "nats";
import { ErrorCode, SyncError, type SequencedEvent } from "@kuzu-sync/protocol";
import type { ArchivableLog, PurgeLimit } from "./archivable-log.ts";
import { announceHorizon, ARCHIVE_KV_BUCKET, archiveKv, archiveLockKey, parseReplicaPosition, replicaPositionFilter } from "./jetstream-coordination.ts";
import { decodeStreamEvent, openConsumer, streamHorizon } from "./jetstream-stream.ts";
import { isAlive } from "./process-alive.ts";

export interface JetStreamLogOptions {
  /** NATS servers, comma-separated. */
  readonly natsUrl: string;
  readonly stream: string;
  /** A gateway whose position was last recorded longer ago than this is treated as gone. */
  readonly replicaStaleAfterMs: number;
  /** A lock not renewed for this long is taken over (default 60 s; renewed every third of it). */
  readonly lockStaleMs?: number;
  /** Bound on each NATS request (default 10 s). */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

interface LockHolder {
  readonly owner: string;
  readonly host: string;
  readonly pid: number;
  readonly since: number;
}

const BATCH = 1_000;

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172_800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86_400)} d`;
}

/**
 * @example
 * const log = await JetStreamArchivableLog.open({ natsUrl: "nats://127.0.0.1:4222", stream: "KUZU_SYNC_EVENTS", replicaStaleAfterMs: 7 * 86_400_000 });
 * const [horizon, head] = [await log.horizon(), await log.head()];
 * await log.close();
 */
export class JetStreamArchivableLog implements ArchivableLog {
  readonly location: string;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #kv: KV;
  readonly #o: JetStreamLogOptions;
  readonly #now: () => number;
  /** The lock this log holds: its KV revision, or null when not held (or lost). */
  #lock: { revision: number; holder: LockHolder } | null = null;

  private constructor(o: JetStreamLogOptions, nc: NatsConnection, jsm: JetStreamManager, kv: KV) {
    this.location = `stream ${o.stream} on ${o.natsUrl}`;
    this.#o = o;
    this.#nc = nc;
    this.#js = nc.jetstream({ timeout: o.timeoutMs ?? 10_000 });
    this.#jsm = jsm;
    this.#kv = kv;
    this.#now = o.now ?? Date.now;
  }

  /**
   * Connect and check that the stream exists. NATS unreachable → `LOG_UNAVAILABLE`; no such stream
   * → `NOT_FOUND` (a gateway with `--log jetstream` creates it; a typo must not look like an empty log).
   */
  static async open(o: JetStreamLogOptions): Promise<JetStreamArchivableLog> {
    const timeout = o.timeoutMs ?? 10_000;
    let nc: NatsConnection;
    try {
      nc = await connect({ servers: o.natsUrl.split(","), name: "sync-archiver", timeout: Math.min(timeout, 5_000), maxReconnectAttempts: 3, reconnectTimeWait: 500 });
    } catch (cause) {
      throw new SyncError(ErrorCode.LOG_UNAVAILABLE, `cannot reach NATS at ${o.natsUrl} (NATS_URL): ${String(cause)}`, { cause });
    }
    try {
      const jsm = await nc.jetstreamManager({ timeout });
      let info: StreamInfo;
      try {
        info = await jsm.streams.info(o.stream);
      } catch (cause) {
        if (/stream not found/i.test(String(cause))) {
          throw new SyncError(ErrorCode.NOT_FOUND, `no stream ${o.stream} on ${o.natsUrl} (NATS_STREAM / --stream; gateways with --log jetstream create it)`, { cause });
        }
        throw cause;
      }
      const kv = await archiveKv(nc.jetstream({ timeout }), info.config.num_replicas);
      return new JetStreamArchivableLog(o, nc, jsm, kv);
    } catch (error) {
      await nc.close();
      if (error instanceof SyncError) throw error;
      throw new SyncError(ErrorCode.LOG_UNAVAILABLE, `JetStream on ${o.natsUrl} did not answer: ${String(error)}`, { cause: error });
    }
  }

  async #state(): Promise<StreamInfo["state"]> {
    return (await this.#jsm.streams.info(this.#o.stream)).state;
  }

  async horizon(): Promise<number> {
    return streamHorizon(await this.#state());
  }

  async head(): Promise<number> {
    return (await this.#state()).last_seq;
  }

  async purgeLimit(): Promise<PurgeLimit> {
    const horizon = await this.horizon();
    const notes: string[] = [];
    let limit: number | null = null;
    let recorded = 0;
    // Keys first, then the entries: a request made while the keys iterator runs cuts it short.
    const keys: string[] = [];
    for await (const key of await this.#kv.keys(replicaPositionFilter(this.#o.stream))) keys.push(key);
    for (const key of keys) {
      const entry = await this.#kv.get(key);
      if (entry === null || entry.operation !== "PUT") continue;
      recorded++;
      let position;
      try {
        position = parseReplicaPosition(entry.json());
      } catch {
        position = null;
      }
      if (position === null) {
        notes.push(`ignoring ${ARCHIVE_KV_BUCKET}/${key}: not a replica position`);
        continue;
      }
      const age = this.#now() - entry.created.getTime();
      if (age > this.#o.replicaStaleAfterMs) {
        notes.push(
          `ignoring gateway ${position.gateway} (server replica at seq ${position.seq}): not heard from for ${ago(age)}, more than REPLICA_STALE_AFTER (${ago(this.#o.replicaStaleAfterMs)}), so treated as gone; ` +
            `if it comes back behind the horizon it refuses to start (remove the key ${key} from KV bucket ${ARCHIVE_KV_BUCKET} once it is gone for good)`,
        );
        continue;
      }
      if (position.seq < horizon - 1) {
        notes.push(`ignoring gateway ${position.gateway}: its server replica (seq ${position.seq}) is already behind the horizon ${horizon}, holding back cannot help it; it must be rebuilt`);
        continue;
      }
      limit = Math.min(limit ?? position.seq, position.seq);
    }
    if (limit === null) {
      notes.push(
        recorded === 0
          ? `no gateway has recorded its server replica's position for stream ${this.#o.stream} (KV bucket ${ARCHIVE_KV_BUCKET}): nothing is archived until one runs`
          : `no live gateway follows stream ${this.#o.stream}: nothing is archived (without a server replica at the horizon no new replica could be built)`,
      );
    }
    return { seq: limit ?? 0, notes };
  }

  async readOlderThan(cutoffMs: number, afterSeq: number, limit: number): Promise<SequencedEvent[]> {
    const state = await this.#state();
    const want = Math.min(limit, state.last_seq - afterSeq);
    if (want <= 0 || state.messages === 0) return [];
    const timeout = this.#o.timeoutMs ?? 10_000;
    // Removed by the server a minute after this run dies.
    const { consumer, remove } = await openConsumer(this.#js, this.#jsm, this.#o.stream, afterSeq + 1, timeout, `kuzu-sync-archiver-${crypto.randomUUID()}`);
    const out: SequencedEvent[] = [];
    try {
      let young = false;
      while (!young && out.length < want) {
        let got = 0;
        for await (const m of await consumer.fetch({ max_messages: Math.min(BATCH, want - out.length), expires: timeout })) {
          got++;
          let event: SequencedEvent;
          try {
            event = decodeStreamEvent(m).event;
          } catch (cause) {
            throw new SyncError(ErrorCode.ARCHIVE_INCONSISTENT, `stream message ${m.seq} of ${this.#o.stream} is not a kuzu-sync event; nothing was archived from it`, { cause });
          }
          // Stop at the first young event even if a later one is older (gateway clocks differ):
          // the stream must stay one contiguous range.
          if (event.serverTimestamp >= cutoffMs) {
            young = true;
            break;
          }
          out.push(event);
          if (out.length >= want) break;
        }
        if (got === 0) throw new SyncError(ErrorCode.LOG_UNAVAILABLE, `stream ${this.#o.stream} returned nothing after seq ${afterSeq + out.length} within ${timeout} ms`);
      }
    } finally {
      await remove();
    }
    return out;
  }

  async purgeThrough(seq: number): Promise<void> {
    await this.#checkLock();
    await this.#jsm.streams.purge(this.#o.stream, { seq: seq + 1 });
    await announceHorizon(this.#nc, this.#o.stream, seq + 1);
  }

  async lock(): Promise<AsyncDisposable> {
    const key = archiveLockKey(this.#o.stream);
    const staleMs = this.#o.lockStaleMs ?? 60_000;
    const holder: LockHolder = { owner: crypto.randomUUID(), host: hostname(), pid: process.pid, since: this.#now() };
    const value = () => JSON.stringify(holder);
    let revision: number;
    try {
      revision = await this.#kv.create(key, value());
    } catch (error) {
      // create() fails when the key holds a value: someone holds the lock, or a killed run left it.
      const entry = await this.#kv.get(key);
      if (entry === null || entry.operation !== "PUT") throw error;
      {
        const other = entry.json<LockHolder>();
        const age = this.#now() - entry.created.getTime();
        const dead = other.host === holder.host && Number.isSafeInteger(other.pid) && !isAlive(other.pid);
        if (!dead && age <= staleMs) {
          throw new SyncError(
            ErrorCode.INTERNAL,
            `another sync-archiver (pid ${other.pid} on ${other.host}) is working on ${this.location}; its lock ${ARCHIVE_KV_BUCKET}/${key} is taken over once not renewed for ${ago(staleMs)}`,
          );
        }
        // Left by a run that was killed. Compare-and-set on its revision: of two takers one loses.
        try {
          revision = await this.#kv.update(key, value(), entry.revision);
        } catch (cause) {
          throw new SyncError(ErrorCode.INTERNAL, `another sync-archiver took the lock ${ARCHIVE_KV_BUCKET}/${key} just now`, { cause });
        }
      }
    }
    this.#lock = { revision, holder };
    let renewing: Promise<void> = Promise.resolve();
    const renew = setInterval(() => {
      const held = this.#lock;
      if (held === null) return;
      renewing = this.#kv.update(key, value(), held.revision).then(
        (r) => {
          if (this.#lock === held) this.#lock = { revision: r, holder };
        },
        () => {
          if (this.#lock === held) this.#lock = null; // taken over: purgeThrough refuses from now on
        },
      );
    }, Math.max(1_000, staleMs / 3));
    renew.unref?.();
    return {
      [Symbol.asyncDispose]: async () => {
        clearInterval(renew);
        await renewing;
        const held = this.#lock;
        this.#lock = null;
        if (held) await this.#kv.delete(key, { previousSeq: held.revision }).catch(() => {});
      },
    };
  }

  /** Purge only while the lock is still ours (a run stalled past the stale time may have lost it). */
  async #checkLock(): Promise<void> {
    const held = this.#lock;
    const entry = held ? await this.#kv.get(archiveLockKey(this.#o.stream)) : null;
    if (!held || entry === null || entry.operation !== "PUT" || entry.json<LockHolder>().owner !== held.holder.owner) {
      throw new SyncError(ErrorCode.INTERNAL, `this sync-archiver no longer holds the lock on ${this.location}; nothing more is purged`);
    }
  }

  async close(): Promise<void> {
    if (!this.#nc.isClosed()) await this.#nc.close();
  }
}
