/**
 * The client's own writes from `executeTemplate()` until the stream brings them back applied: the
 * list UIs show (`client.pending`, events `pending` / `confirmed` / `rejected`), and for the
 * optimistic ones the overlay that shows their effect at once (`Overlay`, in @kuzu-sync/replica)
 * and the store that keeps them across a restart (optimistic-store.ts).
 *
 * An event is *confirmed* when the replica applies it from the stream (or when the server
 * acknowledges it as a duplicate of one applied earlier); *rejected* when the server refuses it
 * (its code) or it fails when applied (`APPLY_FAILED`, with Kuzu's message). Either way it leaves
 * the list, and an optimistic event's effect leaves the overlay.
 * @module
 */
import { ErrorCode, type ClientEvent, type SequencedEvent, type SyncError } from "@kuzu-sync/protocol";
import { Overlay, type ApplyOutcome, type Change, type Replica } from "@kuzu-sync/replica";
import { silentLogger, type Logger } from "@kuzu-sync/telemetry";
import type { OptimisticStore } from "./optimistic-store.ts";

/** One of the client's writes not yet confirmed (see `client.pending`). */
export interface PendingWrite {
  readonly id: string;
  readonly template: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Its effect shows in `query()` and live queries already (the overlay). */
  readonly optimistic: boolean;
  /** Its place in the log, once acknowledged. */
  readonly seq: number | null;
}

/** Payloads of the client's `confirmed` and `rejected` events. */
export interface ConfirmedWrite {
  readonly id: string;
  readonly template: string;
  readonly seq: number;
}
export interface RejectedWrite {
  readonly id: string;
  readonly template: string;
  /** The server's code; `APPLY_FAILED` for an event that was sequenced but failed when applied. */
  readonly code: ErrorCode;
  readonly message: string;
}

/** What local writes need from the client. */
export interface LocalWritesHost {
  readonly clientId: string;
  replica(): Replica | null;
  /** Run `task` between two batches of the client's inbox (the overlay rebuilds its copy there). */
  inStep(task: () => Promise<void>): void;
  /** What reads show changed (live queries that read it are evaluated again). */
  changed(change: Change): void;
  pending(write: PendingWrite): void;
  confirmed(write: ConfirmedWrite): void;
  rejected(write: RejectedWrite): void;
  readonly logger?: Logger;
}

/**
 * @example
 * const writes = new LocalWrites(host, memoryOptimisticStore());
 * writes.track(event, true);                   // pending; its effect shows through writes.query()
 * await writes.applied(batch, outcomes);      // in the inbox, after replica.apply(batch)
 */
export class LocalWrites {
  readonly #host: LocalWritesHost;
  readonly #store: OptimisticStore;
  readonly #log: Logger;
  readonly #pending = new Map<string, PendingWrite>();
  #overlay: Overlay | null = null;

  constructor(host: LocalWritesHost, store: OptimisticStore) {
    this.#host = host;
    this.#store = store;
    this.#log = host.logger ?? silentLogger;
  }

  /** The writes not yet confirmed, oldest first. */
  get list(): PendingWrite[] {
    return [...this.#pending.values()];
  }

  /** Whether reads should go through the overlay now. */
  get showing(): boolean {
    return this.#overlay?.showing ?? false;
  }

  /** The overlay, once an optimistic event was written (for tests and benchmarks). */
  get overlay(): Overlay | null {
    return this.#overlay;
  }

  /**
   * After the replica opened: the optimistic events of an earlier run that are still pending
   * (`outbox`: events not acknowledged yet) come back into the overlay; the outbox's other events
   * are listed as pending, not optimistic.
   */
  restore(outbox: readonly ClientEvent[], appliedSeq: number): void {
    const unsent = new Set(outbox.map((e) => e.id));
    for (const r of this.#store.all()) {
      const done = r.seq === null ? !unsent.has(r.event.id) : r.seq <= appliedSeq;
      if (done) {
        this.#store.remove(r.event.id);
        continue;
      }
      this.#pending.set(r.event.id, describe(r.event, true, r.seq));
      this.#overlayAdd(r.event);
    }
    for (const e of outbox) if (!this.#pending.has(e.id)) this.#pending.set(e.id, describe(e, false, null));
  }

  /** Every write will be optimistic: build the overlay's copy now, not at the first write. */
  prepare(): void {
    this.#overlayAdd(null);
  }

  /** A new write: listed as pending; an optimistic one shows through the overlay as soon as it is applied there. */
  track(event: ClientEvent, optimistic: boolean): void {
    const write = describe(event, optimistic, null);
    this.#pending.set(event.id, write);
    if (optimistic) {
      this.#store.add(event);
      this.#overlayAdd(event);
    }
    this.#host.pending(write);
  }

  /** The server gave `id` its seq. Already applied here (a duplicate of an earlier write): confirmed. */
  acked(id: string, seq: number): void {
    const w = this.#pending.get(id);
    if (w === undefined) return;
    this.#pending.set(id, { ...w, seq });
    if (w.optimistic) this.#store.acked(id, seq);
    const applied = this.#host.replica()?.appliedSeq ?? 0;
    if (seq <= applied) this.#settle(w, () => this.#host.confirmed({ id, template: w.template, seq }));
  }

  /** The server refused `id` for good. */
  refused(id: string, error: SyncError): void {
    const w = this.#pending.get(id);
    if (w === undefined) return;
    this.#settle(w, () => this.#host.rejected({ id, template: w.template, code: error.code, message: error.message }));
  }

  /**
   * The replica applied `events` (in the inbox, right after `Replica.apply`): this client's
   * events among them are confirmed or, when they failed, rejected; the overlay follows. Resolves
   * with the ids of events whose effect reads showed already (confirmed in place in the overlay).
   */
  async applied(events: readonly SequencedEvent[], outcomes: readonly ApplyOutcome[]): Promise<ReadonlySet<string>> {
    const announce: (() => void)[] = [];
    if (this.#pending.size > 0) {
      const bySeq = new Map(events.map((e) => [e.seq, e]));
      for (const o of outcomes) {
        const e = bySeq.get(o.seq);
        const w = e === undefined || e.clientId !== this.#host.clientId ? undefined : this.#pending.get(e.id);
        if (w === undefined) continue;
        this.#pending.delete(w.id);
        if (w.optimistic) this.#store.remove(w.id);
        announce.push(
          o.ok || e!.duplicateOf !== undefined
            ? () => this.#host.confirmed({ id: w.id, template: w.template, seq: o.seq })
            : () => this.#host.rejected({ id: w.id, template: w.template, code: ErrorCode.APPLY_FAILED, message: o.error ?? "failed when applied" }),
        );
      }
    }
    let shown: ReadonlySet<string> = new Set();
    if (this.#overlay !== null) {
      try {
        shown = await this.#overlay.confirm(events, outcomes);
      } catch (error) {
        this.#log.warn("the optimistic overlay could not follow the replica; it is rebuilt at the next batch", { error: String(error) });
      }
    }
    for (const a of announce) a();
    return shown;
  }

  /**
   * The replica was replaced by a snapshot: events it holds already are confirmed, the overlay is
   * rebuilt on it.
   */
  replaced(appliedSeq: number): void {
    for (const w of [...this.#pending.values()]) {
      if (w.seq !== null && w.seq <= appliedSeq) this.#settle(w, () => this.#host.confirmed({ id: w.id, template: w.template, seq: w.seq! }));
    }
    void this.#overlay?.reset();
  }

  /** Read through what the client shows: the overlay while a pending event has an effect there. */
  async query(replica: Replica, cypher: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    const overlay = this.#overlay;
    if (overlay === null) return replica.query(cypher, params);
    // A write handed over just before (or restored at open) shows in this read already.
    await overlay.ready();
    return overlay.showing ? overlay.query(cypher, params) : (this.#host.replica() ?? replica).query(cypher, params);
  }

  /** Close the overlay and the store (pending events stay in a persistent one). */
  async close(): Promise<void> {
    await this.#overlay?.close();
    this.#store.close();
  }

  #settle(w: PendingWrite, announce: () => void): void {
    this.#pending.delete(w.id);
    if (w.optimistic) {
      this.#store.remove(w.id);
      void this.#overlay?.remove(w.id);
    }
    announce();
  }

  #overlayAdd(event: ClientEvent | null): void {
    this.#overlay ??= new Overlay({
      replica: () => this.#host.replica(),
      inStep: (task) => this.#host.inStep(task),
      changed: (change) => this.#host.changed(change),
      logger: this.#log,
    });
    if (event === null) return this.#overlay.prepare();
    this.#overlay.add(event).catch((error: unknown) => this.#log.warn("an optimistic event could not be applied to the overlay", { eventId: event.id, error: String(error) }));
  }
}

function describe(event: ClientEvent, optimistic: boolean, seq: number | null): PendingWrite {
  return { id: event.id, template: event.template, params: event.params, optimistic, seq };
}
