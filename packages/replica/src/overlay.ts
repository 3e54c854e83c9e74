/**
 * The optimistic overlay: what a replica would hold once a client's pending events are applied on
 * top of it, in the order they were written — for reads only, never committed to the replica.
 *
 * Kuzu 0.11 rules out the obvious design (apply the pending events in a transaction, read, roll
 * back): rolling back a transaction that updated rows in place corrupts the version chains of
 * rows with committed changes not yet checkpointed (reopen.ts) — in an in-memory database always,
 * since CHECKPOINT does nothing there, and on disk unless every read pays a CHECKPOINT (~5–17 ms)
 * and a rollback (~5 ms). See docs/BENCHMARKS.md "Local-first client".
 *
 * So the overlay keeps a *copy* of the replica, in memory, holding the confirmed state with the
 * pending events committed on top, and keeps it in step without ever rolling anything back:
 * - a new pending event is applied to the copy (one small transaction);
 * - a batch the replica applied is replayed on the copy: a pending event confirmed in its place
 *   (and with the same outcome) is already there; any other event is applied after the pending
 *   ones, which leaves the state applying it before them would, as long as it does not conflict
 *   with them (footprints, `access-overlap.ts`; the same commutation the batched apply relies on);
 * - anything else — a conflicting event, a pending event refused by the server or failing where
 *   it succeeded on the copy, a registry change under pending events, a replica replaced by a
 *   snapshot — makes the copy stale, and it is rebuilt from the replica (export and import) and
 *   the pending events applied again: their effect then reflects the newer confirmed state.
 *
 * Rebuilds export the replica, so they run "in step" — between two applies of the client's
 * inbox, when every batch the replica applied has been given to {@link Overlay.confirm}
 * ({@link OverlayHost.inStep}). Everything else goes through the overlay's own queue, so a new
 * pending event never waits for the replica's apply.
 * @module
 */
import { join, mkdtempSync, rmSync, tmpdir } from "#host-fs";
import { ErrorCode, REGISTRY_TEMPLATE, SyncError, type ClientEvent, type SequencedEvent } from "@kuzu-sync/protocol";
import { silentLogger, type Logger } from "@kuzu-sync/telemetry";
import { conflicts } from "./access-overlap.ts";
import type { EntityAccess } from "./footprint.ts";
import { Replica, type ApplyOutcome } from "./replica.ts";

/** What a change may have touched: written entities, or null for anything. */
export type Change = readonly EntityAccess[] | null;

/** What the overlay needs from its owner (the client). */
export interface OverlayHost {
  /** The replica the overlay follows (null while none is open; another one after a snapshot bootstrap). */
  replica(): Replica | null;
  /**
   * Run `task` in step: after every batch the replica applied so far went through
   * {@link Overlay.confirm}, and before the next one is applied.
   */
  inStep(task: () => Promise<void>): void;
  /** What the overlay shows changed (reads that depend on `change` may give other rows now). */
  changed(change: Change): void;
  readonly logger?: Logger;
}

interface Entry {
  readonly event: ClientEvent;
  /** Its outcome on the copy; null while not applied there. Applied entries are a prefix. */
  outcome: { readonly ok: boolean; readonly error?: string } | null;
  /** Its footprint, taken when it was applied to the copy (the registry then in force). */
  footprint: readonly EntityAccess[] | null;
}

/** The copy and the reads running on it (it is closed once they are done, after a rebuild). */
interface Copy {
  readonly replica: Replica;
  reads: number;
  retired: boolean;
}

/**
 * @example
 * const overlay = new Overlay({ replica: () => replica, inStep: (t) => inbox.push(t), changed: (c) => live.invalidate(c) });
 * await overlay.add(event);             // reads through overlay.query() see it now
 * await overlay.confirm(batch, outcomes); // after replica.apply(batch), in step
 */
export class Overlay {
  readonly #host: OverlayHost;
  readonly #log: Logger;
  #entries: Entry[] = [];
  #copy: Copy | null = null;
  /** The copy must be rebuilt before its state means anything (see the module comment). */
  #stale = false;
  /** Footprints of effects that left the pending list but are still on the stale copy. */
  #gone: (readonly EntityAccess[] | null)[] = [];
  #stepRequested = false;
  /** Seq numbers on the copy are its own: pending events have none yet. */
  #seq = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #rebuilds = 0;
  /** Keep a copy even without pending events ({@link prepare}): the first write then shows at once. */
  #wanted = false;
  /** Reads waiting for pending events to reach the copy ({@link ready}). */
  #readyWaiters: (() => void)[] = [];

  constructor(host: OverlayHost) {
    this.#host = host;
    this.#log = host.logger ?? silentLogger;
  }

  /** Whether reads should go to the overlay: some pending event has an effect on the copy. */
  get showing(): boolean {
    return this.#copy !== null && !this.#closed && this.#entries.some((e) => e.outcome?.ok === true);
  }

  /** How many times the copy was built (the first time included). */
  get rebuilds(): number {
    return this.#rebuilds;
  }

  /**
   * A new pending event, on top of the others. Resolves once reads through {@link query} see it
   * (or once it is known they cannot yet: the copy is built in step first).
   */
  add(event: ClientEvent): Promise<void> {
    return this.#serial(async () => {
      this.#entries.push({ event, outcome: null, footprint: null });
      if (this.#copy === null || this.#stale) return this.#requestStep();
      await this.#sync();
    });
  }

  /**
   * Build the copy now (in step), before any pending event: the first optimistic write then costs
   * one small transaction instead of a copy of the whole replica. Without a registry yet, the copy
   * is built at the first batch the replica applies. From then on every applied event is applied
   * to the copy too.
   * @example overlay.prepare(); // a client whose every write is optimistic
   */
  prepare(): void {
    this.#wanted = true;
    this.#requestStep();
  }

  /**
   * A pending event settled outside the stream (refused by the server, or already applied by an
   * earlier run): its effect leaves the overlay. When it had one, the copy is rebuilt in step.
   */
  remove(id: string): Promise<void> {
    return this.#serial(async () => {
      const i = this.#entries.findIndex((e) => e.event.id === id);
      if (i < 0) return;
      const [entry] = this.#entries.splice(i, 1);
      if (entry!.outcome?.ok !== true) return;
      this.#stale = true;
      this.#requestStep();
      // Without another pending effect, reads see the replica (without it) from now on; otherwise
      // the copy, with it, until the rebuild.
      if (this.showing) this.#gone.push(entry!.footprint);
      else this.#announce([entry!.footprint]);
    });
  }

  /** The replica was replaced (a snapshot bootstrap): rebuild the copy from the new one, in step. */
  reset(): Promise<void> {
    return this.#serial(async () => {
      if (this.#copy === null) return;
      this.#stale = true;
      this.#requestStep();
    });
  }

  /**
   * The replica applied `events` with `outcomes` (call in step, right after `Replica.apply`):
   * confirmed pending events leave the overlay, the others' effects are brought up to date.
   * Resolves with the ids of the events confirmed *in place*: their effect was shown already, so
   * reads see nothing new from them (a live query need not run again for them).
   */
  confirm(events: readonly SequencedEvent[], outcomes: readonly ApplyOutcome[]): Promise<ReadonlySet<string>> {
    return this.#serial(async () => {
      if (this.#closed) return NONE;
      const ids = new Set(events.map((e) => e.id));
      if (this.#copy === null || this.#stale) {
        this.#entries = this.#entries.filter((e) => !ids.has(e.event.id));
        if (this.#entries.length > 0 || this.#stale || this.#wanted) await this.#rebuild();
        return NONE;
      }
      const inPlace = await this.#replay(events, outcomes);
      if (inPlace === null) await this.#rebuild();
      return inPlace ?? NONE;
    });
  }

  /**
   * Read through the overlay: the replica with the pending events applied. Same rules as
   * `Replica.query` (read-only, FORBIDDEN otherwise).
   */
  async query(cypher: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    const copy = this.#copy;
    if (copy === null || this.#closed) throw new SyncError(ErrorCode.NOT_READY, "the overlay has no copy of the replica yet");
    copy.reads++;
    try {
      return await copy.replica.query(cypher, params);
    } finally {
      copy.reads--;
      if (copy.retired && copy.reads === 0) await copy.replica.close();
    }
  }

  /**
   * Resolves once every pending event has been tried on the copy, so a read through
   * {@link query} (or the replica, when none has an effect) shows all of them: right away when
   * they are, else after the copy caught up (its own queue) or the step that builds it ran — or
   * could not (no replica or registry yet; reads then see the replica alone until the next step).
   * Reads right after `add()` await it, so a write shows in the very next read.
   * @example void overlay.add(event); await overlay.ready(); await overlay.query(cypher);
   */
  async ready(): Promise<void> {
    await this.#queue; // an add() called just before has queued its entry
    if (!this.#behind()) return;
    await new Promise<void>((resolve) => this.#readyWaiters.push(resolve));
  }

  /** Resolves once the work queued so far is done (steps asked of the host excepted). */
  async idle(): Promise<void> {
    await this.#queue;
  }

  /** Close the copy (after the work queued so far). Pending events are the owner's to keep. */
  close(): Promise<void> {
    const done = this.#serial(async () => {
      this.#closed = true;
      const copy = this.#copy;
      this.#copy = null;
      if (copy !== null) await this.#retire(copy);
    });
    return done.catch(() => {});
  }

  // ---- in the queue -------------------------------------------------------------------------

  /**
   * Replay a batch the replica applied on the copy (see the module comment). Null when the copy
   * cannot follow it and must be rebuilt, else the ids confirmed in place; confirmed entries have
   * left the list either way.
   */
  async #replay(events: readonly SequencedEvent[], outcomes: readonly ApplyOutcome[]): Promise<Set<string> | null> {
    const outcomeOf = new Map(outcomes.map((o) => [o.seq, o]));
    const byId = new Map(this.#entries.map((e) => [e.event.id, e]));
    /** Entries applied on the copy and still pending, in order. */
    const applied = this.#entries.filter((e) => e.outcome !== null);
    const follow: SequencedEvent[] = [];
    const inPlace = new Set<string>();
    let ok = true;
    for (const e of events) {
      const o = outcomeOf.get(e.seq);
      const own = byId.get(e.id);
      if (own !== undefined && own.event.clientId === e.clientId) {
        this.#entries.splice(this.#entries.indexOf(own), 1);
        const at = applied.indexOf(own);
        if (at >= 0) {
          applied.splice(at, 1);
          const had = own.outcome!.ok;
          if (o === undefined || e.duplicateOf !== undefined) {
            // A duplicate slot repeats an event applied long ago: the copy holds it twice.
            if (had) ok = false;
            continue;
          }
          if (had && o.ok) {
            // Confirmed as it was applied: in place, unless it moved past a pending event it conflicts with.
            if (applied.slice(0, at).some((x) => conflicts(x.footprint, own.footprint))) ok = false;
            else inPlace.add(e.id);
            continue;
          }
          if (had) ok = false; // failed on the replica: its effect must leave the copy
          if (!o.ok) continue;
          // Failed on the copy but applied on the replica: like someone else's event.
        }
      }
      if (o === undefined || !o.ok || e.duplicateOf !== undefined) continue; // no effect anywhere
      if (e.template === REGISTRY_TEMPLATE) {
        ok &&= applied.length === 0;
        follow.push(e);
        continue;
      }
      if (applied.length > 0 && applied.some((x) => conflicts(x.footprint, this.#footprint(e)))) ok = false;
      follow.push(e);
    }
    if (!ok) return null;
    if (follow.length === 0) return inPlace;
    const copy = this.#copy!;
    try {
      const results = await copy.replica.apply(follow.map((e) => ({ ...e, seq: ++this.#seq })));
      return results.every((r) => r.ok) ? inPlace : null;
    } catch (error) {
      this.#log.warn("the optimistic overlay's copy could not follow the replica; rebuilding it", { error: String(error) });
      return null;
    }
  }

  /** Apply the entries not yet on the copy, in order. */
  async #sync(): Promise<void> {
    const copy = this.#copy;
    if (copy === null || this.#stale || this.#closed) return;
    const todo = this.#entries.filter((e) => e.outcome === null);
    if (todo.length === 0) return;
    let results: ApplyOutcome[];
    try {
      results = await copy.replica.apply(todo.map((e) => this.#speculative(e.event, ++this.#seq)));
    } catch (error) {
      this.#log.warn("pending events could not be applied to the optimistic overlay's copy; rebuilding it", { error: String(error) });
      this.#stale = true;
      return this.#requestStep();
    }
    todo.forEach((entry, i) => this.#settle(entry, results[i]));
    this.#announce(todo.filter((e) => e.outcome?.ok === true).map((e) => e.footprint));
  }

  /**
   * Build the copy again from the replica and apply the pending events on it. Runs in step (the
   * replica's state is exactly what confirm() has seen). Without a replica or a registry yet, the
   * copy stays absent and the next step tries again. Reads keep going to the old copy until the
   * new one holds every pending event, so nothing pending blinks out meanwhile.
   */
  async #rebuild(): Promise<void> {
    try {
      await this.#rebuildCopy();
    } finally {
      this.#wake(true);
    }
  }

  async #rebuildCopy(): Promise<void> {
    const replica = this.#host.replica();
    if (this.#closed || replica === null || replica.closed || replica.registryHash === null || replica.registry === null) return;
    const before = [...this.#gone, ...this.#entries.filter((e) => e.outcome?.ok === true).map((e) => e.footprint)];
    const dir = mkdtempSync(join(tmpdir(), "kuzu-sync-overlay-"));
    let fresh: Replica;
    try {
      const exported = await replica.exportSnapshot(join(dir, "copy"));
      fresh = await Replica.importSnapshot(exported.dir, { logger: silentLogger });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const entries = [...this.#entries];
    let seq = fresh.appliedSeq;
    let results: ApplyOutcome[];
    try {
      if (fresh.registry === null) await fresh.install(replica.registry);
      results = entries.length === 0 ? [] : await fresh.apply(entries.map((e) => this.#speculative(e.event, ++seq)));
    } catch (error) {
      await fresh.close();
      throw error;
    }
    const old = this.#copy;
    this.#copy = { replica: fresh, reads: 0, retired: false };
    this.#seq = seq;
    this.#stale = false;
    this.#gone = [];
    this.#rebuilds++;
    entries.forEach((entry, i) => this.#settle(entry, results[i]));
    if (old !== null) await this.#retire(old);
    // What the pending events changed before the rebuild, and what they change now, may read differently.
    const after = entries.filter((e) => e.outcome?.ok === true).map((e) => e.footprint);
    this.#announce([...before, ...after]);
  }

  /** Record an entry's outcome on the copy and its footprint. */
  #settle(entry: Entry, result: ApplyOutcome | undefined): void {
    entry.outcome = result === undefined ? { ok: false } : { ok: result.ok, ...(result.error === undefined ? {} : { error: result.error }) };
    entry.footprint = this.#footprint(entry.event);
  }

  /** Tell the host what changed: the writes of these footprints (null among them: anything). */
  #announce(footprints: readonly (readonly EntityAccess[] | null)[]): void {
    if (footprints.length === 0) return;
    if (footprints.some((f) => f === null)) return this.#host.changed(null);
    this.#host.changed(footprints.flatMap((f) => f!.filter((a) => a.write)));
  }

  #requestStep(): void {
    if (this.#stepRequested || this.#closed) return;
    this.#stepRequested = true;
    this.#host.inStep(() =>
      this.#serial(async () => {
        this.#stepRequested = false;
        if (this.#copy === null || this.#stale) await this.#rebuild();
        else this.#wake(true);
      }),
    );
  }

  /**
   * A pending event as the copy applies it: at seq `seq` of the copy, with the defaults of its
   * template's parameters filled in, as the gateway's validation will (`amount` of 1 when absent).
   */
  #speculative(event: ClientEvent, seq: number): SequencedEvent {
    const schema = this.#host.replica()?.registry?.templates.find((t) => t.name === event.template)?.paramsJsonSchema;
    return { ...event, params: withDefaults(schema, event.params), seq, serverTimestamp: 0 };
  }

  #footprint(e: Pick<ClientEvent, "template" | "params">): readonly EntityAccess[] | null {
    return this.#host.replica()?.footprintOf(e.template, e.params) ?? null;
  }

  async #retire(copy: Copy): Promise<void> {
    copy.retired = true;
    if (copy.reads === 0) await copy.replica.close();
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => {});
    void this.#queue.then(() => this.#wake(false));
    return next;
  }

  /** Some pending event is not on the copy yet (and the overlay is open). */
  #behind(): boolean {
    return !this.#closed && this.#entries.some((e) => e.outcome === null);
  }

  /** Let waiting reads go: when nothing is behind, or (`attempted`) once a step tried what it could. */
  #wake(attempted: boolean): void {
    if (this.#readyWaiters.length === 0 || (!attempted && this.#behind() && !this.#closed)) return;
    for (const resolve of this.#readyWaiters.splice(0)) resolve();
  }
}

const NONE: ReadonlySet<string> = new Set();

/**
 * `params` with the top-level defaults of a template's JSON Schema filled in where absent.
 * @example withDefaults({ properties: { amount: { default: 1 } } }, { counterId: "c1" }) // { counterId: "c1", amount: 1 }
 */
export function withDefaults(schema: unknown, params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const properties = typeof schema === "object" && schema !== null ? (schema as { properties?: unknown }).properties : undefined;
  if (typeof properties !== "object" || properties === null) return { ...params };
  const out: Record<string, unknown> = { ...params };
  for (const [name, property] of Object.entries(properties)) {
    if (out[name] !== undefined || typeof property !== "object" || property === null || !("default" in property)) continue;
    out[name] = (property as { default: unknown }).default;
  }
  return out;
}
