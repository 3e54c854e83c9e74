/**
 * Live queries: read queries whose rows a client delivers again whenever they change. A query is
 * evaluated once when registered, then again only after a change that can affect it — an applied
 * event, or an optimistic one, that writes an entity or a table the query reads (the replica's
 * footprints, `Replica.readsOf` / `footprintOf`) — never on a timer; its listener hears only
 * results whose rows differ from the last ones delivered.
 *
 * Changes are coalesced: while a round of evaluations runs, further changes only mark queries
 * dirty, and one more round follows. Reads run one at a time (the replica has one read
 * connection), so a hundred live queries cost a hundred reads per round at most, and only the
 * ones a change touched run at all.
 * @module
 */
import { ErrorCode, REGISTRY_TEMPLATE, SyncError, type SequencedEvent } from "@kuzu-sync/protocol";
import type { Change, EntityAccess, Replica } from "@kuzu-sync/replica";

/** Rows as `query()` returns them. */
export type Rows = Record<string, unknown>[];

/** Options of `client.live()`. */
export interface LiveOptions {
  /**
   * Called when an evaluation fails (a query Kuzu refuses, or a table gone after a registry
   * change); the live query stays registered and is evaluated again after the next change that
   * can affect it. Default: the client emits `error`.
   */
  readonly onError?: (error: SyncError) => void;
}

/** What `client.live()` returns. */
export interface LiveSubscription {
  /** Stop: no listener call after this returns. Safe to call twice. */
  unsubscribe(): void;
}

/** Where live queries read and how their footprints are known (the client's replica or overlay). */
export interface LiveSource {
  /** Read through what the client shows now (the overlay while optimistic events are pending). */
  read(cypher: string, params: Record<string, unknown>): Promise<Rows>;
  /** What the query may read; null: anything; undefined: no replica yet. */
  readsOf(cypher: string, params: Record<string, unknown>): EntityAccess[] | null | undefined;
  /** A listener threw, or an evaluation failed without an `onError`. */
  report(error: SyncError): void;
  /**
   * More applied events are queued right behind (the client's inbox): evaluations wait for
   * {@link LiveQueries.resume}, since those events would make them dirty again at once.
   */
  behind?(): boolean;
}

/**
 * Rounds cut short in a row because events were queued behind; the next one runs whatever
 * arrives, so a client that never catches its breath still sees its live queries move.
 */
const MAX_DEFERRALS = 4;

interface LiveQuery {
  readonly cypher: string;
  readonly params: Record<string, unknown>;
  readonly onRows: (rows: Rows) => void;
  readonly onError: ((error: SyncError) => void) | undefined;
  /** Called when the client closes (an iterator ends then). */
  readonly onClose: (() => void) | undefined;
  /** What it reads; undefined until known (then any change makes it dirty). */
  reads: EntityAccess[] | null | undefined;
  /** Canonical form of the rows last delivered (null before the first). */
  last: string | null;
  dirty: boolean;
  closed: boolean;
}

/**
 * @example
 * const live = new LiveQueries({ read: (c, p) => replica.query(c, p), readsOf: (c, p) => replica.readsOf(c, p), report: console.error });
 * const sub = live.add("MATCH (u:User) RETURN u.name AS name", {}, (rows) => render(rows));
 * live.start();                                      // the replica is open: evaluate
 * live.invalidate([{ write: true, table: "USER", key: "u1" }]); // after an applied event
 * sub.unsubscribe();
 */
export class LiveQueries {
  readonly #source: LiveSource;
  readonly #queries = new Set<LiveQuery>();
  #started = false;
  #round: Promise<void> | null = null;
  #evaluations = 0;
  /** The last round stopped for events queued behind: the next applied batch resumes. */
  #deferred = false;
  #deferrals = 0;

  constructor(source: LiveSource) {
    this.#source = source;
  }

  /** Live queries registered. */
  get size(): number {
    return this.#queries.size;
  }

  /** Evaluations run so far (each a read of one live query). */
  get evaluations(): number {
    return this.#evaluations;
  }

  /** Register a live query; its first result follows once the source can be read ({@link start}). */
  add(cypher: string, params: Record<string, unknown>, onRows: (rows: Rows) => void, onError?: (error: SyncError) => void, onClose?: () => void): LiveSubscription {
    const q: LiveQuery = { cypher, params, onRows, onError, onClose, reads: undefined, last: null, dirty: true, closed: false };
    this.#queries.add(q);
    this.#schedule();
    return {
      unsubscribe: () => {
        q.closed = true;
        this.#queries.delete(q);
      },
    };
  }

  /** The source can be read from now on: evaluate what is waiting. */
  start(): void {
    this.#started = true;
    this.#schedule();
  }

  /**
   * Something changed: the writes in `change` (null: anything). The live queries that read any of
   * it are evaluated again.
   */
  invalidate(change: Change): void {
    if (this.#queries.size === 0) return;
    const index = change === null ? null : indexWrites(change);
    if (index !== null && index.size === 0) return;
    let any = false;
    for (const q of this.#queries) {
      if (q.dirty || !touches(q.reads, index)) continue;
      q.dirty = true;
      any = true;
    }
    if (any) this.#schedule();
  }

  /** The registry (or the whole replica) changed: footprints are derived again, every query evaluated. */
  invalidateAll(): void {
    for (const q of this.#queries) {
      q.reads = undefined;
      q.dirty = true;
    }
    this.#schedule();
  }

  /** A batch was applied: evaluations put off for it run now (with whatever it made dirty). */
  resume(): void {
    if (!this.#deferred) return;
    this.#deferred = false;
    this.#schedule();
  }

  /** Resolves once no evaluation is running or due. */
  async idle(): Promise<void> {
    while (this.#round !== null) await this.#round;
  }

  /** Unregister everything; no listener is called after this. */
  close(): void {
    const queries = [...this.#queries];
    this.#queries.clear();
    for (const q of queries) {
      q.closed = true;
      if (q.onClose) this.#call(q.onClose);
    }
  }

  #schedule(): void {
    if (!this.#started || this.#round !== null || this.#deferred) return;
    this.#round = this.#run().finally(() => {
      this.#round = null;
      // A query made dirty after the last check of the loop below.
      if ([...this.#queries].some((q) => q.dirty)) this.#schedule();
    });
  }

  async #run(): Promise<void> {
    for (;;) {
      const due = [...this.#queries].filter((q) => q.dirty);
      if (due.length === 0) {
        this.#deferrals = 0;
        return;
      }
      for (const q of due) {
        if (q.closed) continue;
        if (this.#deferrals < MAX_DEFERRALS && this.#source.behind?.() === true) {
          this.#deferrals++;
          this.#deferred = true;
          return;
        }
        q.dirty = false;
        if (q.reads === undefined) q.reads = this.#source.readsOf(q.cypher, q.params);
        let rows: Rows;
        this.#evaluations++;
        try {
          rows = await this.#source.read(q.cypher, q.params);
        } catch (cause) {
          if (q.closed) continue;
          const error = cause instanceof SyncError ? cause : new SyncError(ErrorCode.INTERNAL, String(cause), { cause });
          if (q.onError) this.#call(() => q.onError!(error));
          else this.#source.report(error);
          continue;
        }
        const key = rowsKey(rows);
        if (q.closed || key === q.last) continue;
        q.last = key;
        this.#call(() => q.onRows(rows));
      }
    }
  }

  #call(listener: () => void): void {
    try {
      listener();
    } catch (cause) {
      this.#source.report(new SyncError(ErrorCode.INTERNAL, `live query listener threw: ${String(cause)}`, { cause }));
    }
  }
}

/** Writes by table: null for the whole table, else the keys written. */
type WriteIndex = Map<string, Set<string> | null>;

function indexWrites(change: readonly EntityAccess[]): WriteIndex {
  const index: WriteIndex = new Map();
  for (const a of change) {
    if (!a.write) continue;
    if (a.key === null) index.set(a.table, null);
    else {
      const keys = index.get(a.table);
      if (keys === undefined) index.set(a.table, new Set([a.key]));
      else if (keys !== null) keys.add(a.key);
    }
  }
  return index;
}

/** Whether a query reading `reads` (null or undefined: anything) can see a write in `index` (null: anything). */
function touches(reads: EntityAccess[] | null | undefined, index: WriteIndex | null): boolean {
  if (index === null || reads === null || reads === undefined) return true;
  for (const r of reads) {
    if (!index.has(r.table)) continue;
    const keys = index.get(r.table)!;
    if (keys === null || r.key === null || keys.has(r.key)) return true;
  }
  return false;
}

/**
 * Rows in a canonical text, to tell whether a result changed. Kuzu's internal ids (`_id`, `_src`,
 * `_dst` of nodes and relationships) are left out: they are storage offsets, which differ between
 * the replica and the optimistic overlay's copy for the same graph.
 * @example rowsKey([{ n: { _id: { offset: 3, table: 0 }, _label: "User", id: "u1" } }]) === rowsKey([{ n: { _id: { offset: 7, table: 0 }, _label: "User", id: "u1" } }])
 */
export function rowsKey(rows: Rows): string {
  return JSON.stringify(rows, (key, value: unknown) => {
    if (key === "_id" || key === "_src" || key === "_dst") return undefined;
    if (typeof value === "bigint") return `${value}n`;
    if (value instanceof Uint8Array) return `bytes:${Array.from(value).join(",")}`;
    return value;
  });
}

/**
 * What a batch the replica applied may have changed: the entities its events write, null when one
 * of them may write anything, "registry" when the registry changed (footprints are derived again).
 * @example live.invalidate(changeOf(events, replica));
 */
export function changeOf(events: readonly SequencedEvent[], replica: Pick<Replica, "footprintOf">): Change | "registry" {
  const writes: EntityAccess[] = [];
  let anything = false;
  for (const e of events) {
    if (e.duplicateOf !== undefined) continue;
    if (e.template === REGISTRY_TEMPLATE) return "registry";
    const footprint = anything ? [] : replica.footprintOf(e.template, e.params);
    if (footprint === null) anything = true;
    else for (const a of footprint) if (a.write) writes.push(a);
  }
  return anything ? null : writes;
}
