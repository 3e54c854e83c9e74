/**
 * Events sent but not yet acknowledged. Kept in SQLite next to a persistent replica, so an event
 * handed to the client survives a crash and is resent (dedupe by id makes that exactly-once); in
 * memory for an in-memory replica, and always in a browser (`#durable-outbox`). Writes come in
 * groups (`addAll`, `removeAll`: one transaction, one fsync each), so a writer with many events in
 * flight pays one fsync per turn, not one per event (see pending-writes.ts).
 * @module
 */
import type { ClientEvent } from "@kuzu-sync/protocol";
import { durableOutbox } from "#durable-outbox";

export interface Outbox {
  /** Durably add one event (an event already there is kept as it is). */
  add(event: ClientEvent): void;
  /** Durably add several events in one transaction: all of them are there afterwards, or none (it throws). */
  addAll(events: readonly ClientEvent[]): void;
  remove(id: string): void;
  /** Remove several events in one transaction. */
  removeAll(ids: readonly string[]): void;
  has(id: string): boolean;
  /** One pending event by id. */
  get(id: string): ClientEvent | undefined;
  /** Pending events, oldest first. */
  pending(): ClientEvent[];
  readonly size: number;
  /** A value kept with the outbox across restarts (the persistent client id). */
  meta(key: string): string | null;
  setMeta(key: string, value: string): void;
  close(): void;
}

/** Outbox in memory (for in-memory replicas). */
export function memoryOutbox(): Outbox {
  const events = new Map<string, ClientEvent>();
  const meta = new Map<string, string>();
  return {
    add: (e) => void (events.has(e.id) || events.set(e.id, e)),
    addAll(list) {
      for (const e of list) if (!events.has(e.id)) events.set(e.id, e);
    },
    remove: (id) => void events.delete(id),
    removeAll(ids) {
      for (const id of ids) events.delete(id);
    },
    has: (id) => events.has(id),
    get: (id) => events.get(id),
    pending: () => [...events.values()],
    get size() {
      return events.size;
    },
    meta: (k) => meta.get(k) ?? null,
    setMeta: (k, v) => void meta.set(k, v),
    close: () => events.clear(),
  };
}

/** What a client opens at creation: its outbox and its id. */
export interface ClientOutbox {
  readonly outbox: Outbox;
  readonly clientId: string;
  /** Why the persistent outbox could not be opened (then `outbox` is an empty in-memory one). */
  readonly error: unknown;
}

/**
 * The outbox of a client (`<dbPath>.outbox.sqlite`, in memory without `dbPath`) and its id: the
 * given one, else the one stored with a persistent outbox, else a new random one (then stored).
 * @example const { outbox, clientId } = openClientOutbox("./replica.kuzu", undefined);
 */
export function openClientOutbox(dbPath: string | undefined, clientId: string | undefined): ClientOutbox {
  const fresh = clientId ?? `client-${crypto.randomUUID()}`;
  if (!dbPath) return { outbox: memoryOutbox(), clientId: fresh, error: null };
  let outbox: Outbox;
  try {
    outbox = durableOutbox(`${dbPath}.outbox.sqlite`);
  } catch (error) {
    return { outbox: memoryOutbox(), clientId: fresh, error };
  }
  if (clientId !== undefined) return { outbox, clientId, error: null };
  // A persistent replica keeps its identity, so its stats and its events stay attributable.
  const stored = outbox.meta("clientId");
  if (stored === null || stored === "") outbox.setMeta("clientId", fresh);
  return { outbox, clientId: stored || fresh, error: null };
}
