/**
 * Quarantined events of a JetStream log: recorded by `sync-server quarantine --nats-url` in the
 * shared KV bucket (one key per seq, {@link quarantineKey}), which every gateway copies into its
 * index's quarantine table (`quarantine.ts`) — all of them at start-up, before its server replica
 * applies anything, then each new one as it is written (a KV watch). KV keys are not purged with
 * the stream, so a quarantine outlives archiving like the registry versions' mirror
 * (`registry-mirror.ts`).
 * @module
 */
import type { KV, QueuedIterator, KvEntry } from "nats";
import type { Logger } from "@kuzu-sync/telemetry";
import type { QuarantineEntry, QuarantineList } from "./quarantine.ts";

/**
 * Key of the quarantine of `seq` in `stream`.
 * @example quarantineKey("KUZU_SYNC_EVENTS", 42) // "quarantine.KUZU_SYNC_EVENTS.42"
 */
export function quarantineKey(stream: string, seq: number): string {
  return `quarantine.${stream}.${seq}`;
}

/** KV key filter matching every quarantine of `stream`. */
export function quarantineFilter(stream: string): string {
  return `quarantine.${stream}.*`;
}

/** A KV value as a quarantine entry, or null when it is not one. */
export function parseQuarantineEntry(value: unknown): QuarantineEntry | null {
  if (typeof value !== "object" || value === null) return null;
  const { seq, reason, eventId, at } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1 || typeof reason !== "string" || typeof at !== "number") return null;
  return { seq: seq as number, reason, eventId: typeof eventId === "string" ? eventId : null, at };
}

/**
 * Every quarantine recorded for `stream`, ascending.
 * @example const entries = await readQuarantinedKv(kv, "KUZU_SYNC_EVENTS");
 */
export async function readQuarantinedKv(kv: KV, stream: string): Promise<QuarantineEntry[]> {
  // Keys first: awaiting inside the keys iterator can end it early (nats.js 2).
  const keys: string[] = [];
  for await (const key of await kv.keys(quarantineFilter(stream))) keys.push(key);
  const out: QuarantineEntry[] = [];
  for (const key of keys) {
    const entry = await kv.get(key);
    const parsed = entry === null || entry.operation !== "PUT" ? null : parseQuarantineEntry(entry.json());
    if (parsed !== null) out.push(parsed);
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * Record a quarantine; false when `seq` was already quarantined (the first entry stays).
 * @example await writeQuarantineKv(kv, "KUZU_SYNC_EVENTS", { seq: 42, reason: "crashes Kuzu", eventId, at: Date.now() });
 */
export async function writeQuarantineKv(kv: KV, stream: string, entry: QuarantineEntry): Promise<boolean> {
  try {
    await kv.create(quarantineKey(stream, entry.seq), JSON.stringify(entry));
    return true;
  } catch (error) {
    if (/wrong last sequence|key exists/i.test(String(error))) return false;
    throw error;
  }
}

/**
 * Copies the bucket's quarantines of one stream into a gateway's list: all of them now, then each
 * new one (until {@link stop}).
 * @example
 * const mirror = await QuarantineFollower.start(kv, stream, index.quarantine, logger);
 * await mirror.stop(); // on close
 */
export class QuarantineFollower {
  readonly #watch: QueuedIterator<KvEntry>;
  readonly #done: Promise<void>;

  private constructor(watch: QueuedIterator<KvEntry>, list: QuarantineList, logger: Logger) {
    this.#watch = watch;
    this.#done = (async () => {
      for await (const e of watch) {
        const entry = e.operation === "PUT" ? parseQuarantineEntry(e.json()) : null;
        if (entry !== null && list.add(entry)) logger.warn("event quarantined by the operator", { seq: entry.seq, reason: entry.reason, eventId: entry.eventId });
      }
    })().catch((error: unknown) => logger.warn("quarantine watch ended", { error: String(error) }));
  }

  /** Load every quarantine of `stream` into `list`, then follow new ones. */
  static async start(kv: KV, stream: string, list: QuarantineList, logger: Logger): Promise<QuarantineFollower> {
    for (const entry of await readQuarantinedKv(kv, stream)) list.add(entry);
    return new QuarantineFollower(await kv.watch({ key: quarantineFilter(stream) }), list, logger);
  }

  async stop(): Promise<void> {
    this.#watch.stop();
    await this.#done;
  }
}
