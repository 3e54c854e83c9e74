/**
 * Mirrors the registry versions a JetStream gateway has consumed into the shared KV bucket (one key
 * per version, see {@link registryVersionKey}), so they can be read without consuming the stream —
 * by `sync-server plan --nats-url` — and stay readable after the archiver purged their events.
 * Every gateway writes the same value for a version; writes are idempotent and retried on the next
 * commit after a failure. The stream stays the source of truth; this is a copy.
 * @module
 */
import type { KV } from "nats";
import type { Logger } from "@kuzu-sync/telemetry";
import { archiveKv, registryVersionFilter, registryVersionKey } from "./jetstream-coordination.ts";
import type { NatsLink } from "./nats-link.ts";
import type { RegistryVersionEntry } from "./registry-history.ts";

export interface RegistryMirrorOptions {
  readonly link: NatsLink;
  readonly stream: string;
  readonly replicas: number;
  readonly logger: Logger;
  /** The versions in this gateway's index. */
  readonly history: () => readonly RegistryVersionEntry[];
}

/**
 * @example
 * const mirror = new RegistryMirror({ link, stream, replicas: 1, logger, history: () => index.registry.entries() });
 * mirror.sync(); // after a commit that recorded a version
 */
export class RegistryMirror {
  readonly #o: RegistryMirrorOptions;
  /** Versions known to be in KV. */
  #mirrored = 0;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(options: RegistryMirrorOptions) {
    this.#o = options;
  }

  /** Write the versions not yet mirrored (in the background; one writer at a time). */
  sync(): void {
    if (this.#o.history().length <= this.#mirrored) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#write().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        this.sync();
      }
    });
  }

  /** Wait for the write in flight. */
  async settled(): Promise<void> {
    await this.#running;
  }

  async #write(): Promise<void> {
    const entries = this.#o.history();
    try {
      const kv = await archiveKv((await this.#o.link.connection).jetstream(), this.#o.replicas);
      for (const e of entries.slice(this.#mirrored)) {
        await kv.put(registryVersionKey(this.#o.stream, e.version), JSON.stringify(e));
        this.#mirrored = Math.max(this.#mirrored, e.version);
      }
    } catch (error) {
      this.#o.logger.warn("cannot mirror the registry versions to KV; retrying with the next commit", { error: String(error) });
    }
  }
}

/**
 * The registry versions mirrored for `stream`, ascending.
 * @example const history = await readMirroredVersions(kv, "KUZU_SYNC_EVENTS");
 */
export async function readMirroredVersions(kv: KV, stream: string): Promise<RegistryVersionEntry[]> {
  // Keys first: awaiting inside the keys iterator can end it early (nats.js 2).
  const keys: string[] = [];
  for await (const key of await kv.keys(registryVersionFilter(stream))) keys.push(key);
  const out: RegistryVersionEntry[] = [];
  for (const key of keys) {
    const entry = await kv.get(key);
    if (entry === null || entry.operation !== "PUT") continue;
    out.push(entry.json<RegistryVersionEntry>());
  }
  return out.sort((a, b) => a.version - b.version);
}
