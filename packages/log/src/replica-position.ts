/**
 * JetStream mode: where the archiver learns how far this gateway's server replica has durably
 * applied the stream (its purge limit). One KV key per gateway (`replica.<stream>.<origin>` in
 * bucket `KUZU_SYNC_ARCHIVE`), written after each applied batch (coalesced: at most one write in
 * flight) and re-written every `heartbeatMs` even when nothing happens, so the archiver can tell a
 * quiet gateway from one that has gone away for good (by the age of the KV entry).
 * @module
 */
import type { KV } from "nats";
import type { Logger } from "@kuzu-sync/telemetry";
import { archiveKv, positionValue, replicaPositionKey } from "./jetstream-coordination.ts";
import type { NatsLink } from "./nats-link.ts";

export interface ReplicaPositionOptions {
  readonly link: NatsLink;
  readonly stream: string;
  /** This gateway's origin id (stable across restarts). */
  readonly gatewayId: string;
  /** Replicas of the KV bucket when this gateway creates it (the stream's). */
  readonly replicas: number;
  readonly logger: Logger;
  /** Re-record the position this often (default 30 s). */
  readonly heartbeatMs?: number;
}

/**
 * @example
 * const positions = new ReplicaPositionRecorder({ link, stream, gatewayId: origin, replicas: 1, logger });
 * positions.record(replica.appliedSeq); // after the Kuzu commit
 * await positions.close();
 */
export class ReplicaPositionRecorder {
  readonly #o: ReplicaPositionOptions;
  readonly #key: string;
  readonly #timer: ReturnType<typeof setInterval>;
  #seq: number | null = null;
  #kv: Promise<KV> | null = null;
  #writing: Promise<void> | null = null;
  #dirty = false;
  #failing = false;
  #closed = false;

  constructor(options: ReplicaPositionOptions) {
    this.#o = options;
    this.#key = replicaPositionKey(options.stream, options.gatewayId);
    this.#timer = setInterval(() => this.#schedule(), options.heartbeatMs ?? 30_000);
    this.#timer.unref?.();
  }

  /** The server replica has committed everything up to `seq`. */
  record(seq: number): void {
    if (this.#seq !== null && seq <= this.#seq) return;
    this.#seq = seq;
    this.#schedule();
  }

  /** Stop the heartbeat; wait for the write in flight (the entry stays: it ages out in the archiver). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#writing;
  }

  /** Ask for a write; one drain loop runs at a time and writes the latest position last. */
  #schedule(): void {
    if (this.#closed || this.#seq === null) return;
    this.#dirty = true;
    this.#writing ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false;
        await this.#write();
      }
    } finally {
      this.#writing = null;
    }
  }

  async #write(): Promise<void> {
    const nc = this.#o.link.nc;
    // While NATS is down the archiver cannot purge either; the heartbeat writes again later.
    if (nc === null || !this.#o.link.connected) return;
    const seq = this.#seq!;
    try {
      this.#kv ??= archiveKv(nc.jetstream(), this.#o.replicas);
      await (await this.#kv).put(this.#key, positionValue(this.#o.gatewayId, seq));
      if (this.#failing) this.#o.logger.info("server replica position recorded again", { key: this.#key, seq });
      this.#failing = false;
    } catch (error) {
      this.#kv = null;
      // An old position only holds archiving back: safe, so a warning (once per outage) is enough.
      if (!this.#failing) this.#o.logger.warn("cannot record the server replica position in KV; archiving stays held back", { key: this.#key, error: String(error) });
      this.#failing = true;
    }
  }
}
