/**
 * The client's optimistic events, kept until the stream confirms them (or the server refuses
 * them), so the overlay survives a restart of a persistent client: events not yet acknowledged are
 * in the outbox too, but an acknowledged one leaves the outbox long before it comes back applied.
 * Beside a persistent replica in SQLite (`<dbPath>.optimistic.sqlite`, `#optimistic-store`), in
 * memory otherwise. Losing a record in a crash only loses the speculation: the event itself is in
 * the outbox or the log.
 * @module
 */
import type { ClientEvent } from "@kuzu-sync/protocol";
import { durableOptimisticStore } from "#optimistic-store";

/** One optimistic event, and its seq once acknowledged. */
export interface OptimisticRecord {
  readonly event: ClientEvent;
  readonly seq: number | null;
}

export interface OptimisticStore {
  add(event: ClientEvent): void;
  acked(id: string, seq: number): void;
  remove(id: string): void;
  /** Records in the order the events were written. */
  all(): OptimisticRecord[];
  close(): void;
}

/**
 * Optimistic events in memory.
 * @example const store = memoryOptimisticStore(); store.add(event);
 */
export function memoryOptimisticStore(): OptimisticStore {
  const records = new Map<string, OptimisticRecord>();
  return {
    add: (event) => void records.set(event.id, { event, seq: null }),
    acked(id, seq) {
      const r = records.get(id);
      if (r) records.set(id, { event: r.event, seq });
    },
    remove: (id) => void records.delete(id),
    all: () => [...records.values()],
    close: () => records.clear(),
  };
}

/**
 * The store of a client: in SQLite beside a persistent replica, in memory without `dbPath`.
 * @example const store = openOptimisticStore("./replica.kuzu"); // ./replica.kuzu.optimistic.sqlite
 */
export function openOptimisticStore(dbPath: string | undefined): OptimisticStore {
  return dbPath ? durableOptimisticStore(`${dbPath}.optimistic.sqlite`) : memoryOptimisticStore();
}
