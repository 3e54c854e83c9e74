/**
 * `GET /digest`: the server replica's graph digest (graph-digest.ts) at one seq, for replicas to
 * compare themselves with (`client.verify()`, `sync-client verify`). Both sides must digest the
 * *same* seq, so:
 *
 * - `GET /digest?seq=N` with N at or ahead of the server replica: the replica is held at N (its
 *   batches are cut there), digested when it gets there, then released — the answer is at N;
 * - N behind it (it already went past): the answer is the digest at its current seq S > N, and the
 *   asker applies up to S, holds there, and digests then;
 * - no `seq`: the digest at its current seq.
 *
 * The answer always says its `seq`. Digests are remembered per seq (the last 16, and each snapshot's,
 * which is taken with its export), so repeated asks cost nothing.
 * @module
 */
import { digestReplica, type ReplicaDigest, type SnapshotDigest } from "@kuzu-sync/replica";
import type { EventLog } from "@kuzu-sync/log";
import type { Logger } from "@kuzu-sync/telemetry";
import type { ServerReplica } from "./server-replica.ts";

/** Digests remembered (by seq). */
const KEEP = 16;

export interface DigestServiceOptions {
  readonly follower: ServerReplica;
  readonly log: EventLog;
  readonly logger: Logger;
  /** How long a request waits for the server replica to reach its seq (default 30 s). */
  readonly waitMs?: number;
}

/** Why a digest cannot be given now, as an HTTP answer. */
export class DigestUnavailable extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * @example
 * const digests = new DigestService({ follower, log, logger });
 * const { seq, sha256 } = await digests.digestAt(120); // seq 120, or the replica's seq if it is past 120
 */
export class DigestService {
  readonly #o: DigestServiceOptions;
  readonly #known = new Map<number, Promise<ReplicaDigest>>();

  constructor(options: DigestServiceOptions) {
    this.#o = options;
  }

  /** A digest taken elsewhere at `seq` (a snapshot's). */
  remember(seq: number, digest: SnapshotDigest): void {
    this.#keep(seq, Promise.resolve({ seq, ...digest }));
  }

  /** The digest at `seq` (see the module comment), or at the replica's seq when `seq` is undefined. */
  async digestAt(seq?: number): Promise<ReplicaDigest> {
    const { follower, log } = this.#o;
    if (seq !== undefined) {
      const known = this.#known.get(seq);
      if (known !== undefined) return known;
      if (seq > log.headSeq) throw new DigestUnavailable(409, "NOT_READY", `seq ${seq} is past this gateway's head ${log.headSeq}`);
    }
    if (seq === undefined || seq < follower.appliedSeq) return this.#current();
    const halted = follower.halted;
    if (halted !== null && halted.seq <= seq) {
      throw new DigestUnavailable(503, "APPLY_STOPPED", `the server replica is stopped before seq ${halted.seq} (${halted.code}: ${halted.message})`);
    }
    follower.hold(seq);
    try {
      const waitMs = this.#o.waitMs ?? 30_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const reached = await Promise.race([
        follower.waitFor(seq).then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
      ]);
      clearTimeout(timer);
      if (!reached) throw new DigestUnavailable(503, "TIMEOUT", `the server replica did not reach seq ${seq} within ${waitMs} ms (it is at ${follower.appliedSeq})`);
      // Held there (unless a batch already in flight went past it): digest where it is.
      return await this.#current();
    } finally {
      follower.release(seq);
    }
  }

  /** `GET /digest[?seq=N]`. */
  async handle(url: URL): Promise<Response> {
    const raw = url.searchParams.get("seq");
    const seq = raw === null ? undefined : Number(raw);
    if (seq !== undefined && (!/^\d{1,15}$/.test(raw!) || !Number.isSafeInteger(seq))) {
      return Response.json({ error: "BAD_MESSAGE", message: `seq must be a whole number, not ${JSON.stringify(raw)}` }, { status: 400 });
    }
    try {
      const d = await this.digestAt(seq);
      return Response.json({ seq: d.seq, sha256: d.sha256, nodes: d.nodes, relationships: d.relationships }, { headers: { "cache-control": "no-store" } });
    } catch (error) {
      if (error instanceof DigestUnavailable) return Response.json({ error: error.code, message: error.message }, { status: error.status });
      this.#o.logger.error("digest failed", { error: String(error) });
      return Response.json({ error: "INTERNAL", message: `digest failed: ${String(error)}` }, { status: 503 });
    }
  }

  /** The digest at the replica's seq now (shared by concurrent asks at the same seq). */
  async #current(): Promise<ReplicaDigest> {
    const seq = this.#o.follower.appliedSeq;
    const known = this.#known.get(seq);
    if (known !== undefined) return known;
    const started = performance.now();
    const digest = digestReplica(this.#o.follower.replica);
    // Keyed by where it is now; the replica may have moved by the time the digest runs.
    const settled = digest.then((d) => {
      this.#o.logger.debug("server replica digested", { seq: d.seq, nodes: d.nodes, relationships: d.relationships, ms: Math.round(performance.now() - started) });
      if (d.seq !== seq) this.#known.delete(seq);
      this.#keep(d.seq, Promise.resolve(d));
      return d;
    });
    this.#keep(seq, settled);
    settled.catch(() => this.#known.delete(seq));
    return settled;
  }

  #keep(seq: number, digest: Promise<ReplicaDigest>): void {
    this.#known.delete(seq);
    this.#known.set(seq, digest);
    while (this.#known.size > KEEP) this.#known.delete(this.#known.keys().next().value!);
  }
}
