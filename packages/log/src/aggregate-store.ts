/**
 * The aggregate cache: the registry's aggregates, maintained incrementally from committed events,
 * persisted in the event log's own SQLite database inside the transaction that commits the events,
 * and answered from memory.
 *
 * A log backend drives it in two steps around its commit:
 * ```
 * db.transaction(() => { …insert events…; delta = store.stage(newEvents); })();
 * store.publish(delta); // only after the transaction committed
 * ```
 * `stage` writes through to SQLite (so a crash either keeps events and aggregates or neither) and
 * returns the new in-memory values; `publish` makes them visible. Start-up loads the stored values
 * (one row per group, not per event): history is never replayed.
 *
 * A log that learns it cannot see some events (a shared stream whose older events were removed
 * before this gateway read them) stages with `restartFrom`: every aggregate forgets its values and
 * counts from that seq on, which its answers say (`fromSeq`) instead of reporting wrong numbers.
 * @module
 */
import type { Database, Statement } from "bun:sqlite";
import type { SequencedEvent, WireAggregate } from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";
import { compileAggregates, type CompiledAggregate } from "./aggregate-rules.ts";

const SCHEMA = `
-- One row per declared aggregate: what definition its state was built with, and the first seq it counts.
CREATE TABLE IF NOT EXISTS aggregate_defs (name TEXT PRIMARY KEY, definition TEXT NOT NULL, from_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aggregate_values (name TEXT NOT NULL, grp TEXT NOT NULL, value NUMERIC NOT NULL, PRIMARY KEY (name, grp)) WITHOUT ROWID;
-- entityCount aggregates: the group of every live entity (looked up when it is removed or moved).
CREATE TABLE IF NOT EXISTS aggregate_members (name TEXT NOT NULL, entity TEXT NOT NULL, grp TEXT NOT NULL, PRIMARY KEY (name, entity)) WITHOUT ROWID;
`;

/** What a commit changes, to be published once it is durable. */
export interface AggregateDelta {
  /** Set when every aggregate restarted counting at this seq (all earlier values dropped). */
  readonly restartFrom: number | null;
  /** New values of the groups the commit touched: name → group → value (null: the group is gone). */
  readonly changes: ReadonlyMap<string, ReadonlyMap<string, number | null>>;
}

/** Description of one aggregate, as `GET /aggregates` lists it. */
export interface AggregateInfo {
  readonly name: string;
  readonly kind: WireAggregate["kind"];
  readonly description?: string;
  /** First seq counted: 1, or later when the aggregate was added to a log that had history. */
  readonly fromSeq: number;
  readonly groups: number;
}

/** Read side of the cache: what the gateway's HTTP routes and socket handler use. */
export interface AggregateReader {
  list(): AggregateInfo[];
  /** Null when no aggregate has this name. */
  info(name: string): AggregateInfo | null;
  /** Every group's value; null when no aggregate has this name. */
  values(name: string): ReadonlyMap<string, number> | null;
  /** One group's value; undefined when the aggregate has no such group (or no such name). */
  value(name: string, key: string): number | undefined;
}

interface State {
  readonly rule: CompiledAggregate;
  fromSeq: number;
  readonly values: Map<string, number>;
}

/**
 * @example
 * const store = AggregateStore.attach(db, registry.toWire().aggregates, { headSeq: 0, logger });
 * const delta = db.transaction(() => store.stage(committed))();
 * store.publish(delta);
 * store.value("counters", "c1"); // 42
 */
export class AggregateStore implements AggregateReader {
  readonly #states = new Map<string, State>();
  /** Template name → aggregates it feeds. */
  readonly #byTemplate = new Map<string, State[]>();
  readonly #q: {
    setValue: Statement;
    deleteValue: Statement;
    member: Statement<{ grp: string }, [string, string]>;
    setMember: Statement;
    deleteMember: Statement;
    clearValues: Statement;
    clearMembers: Statement;
    setFromSeq: Statement;
  };

  private constructor(db: Database, definitions: readonly WireAggregate[], headSeq: number, logger: Logger) {
    db.exec(SCHEMA);
    const stored = new Map(
      db.query<{ name: string; definition: string; from_seq: number }, []>("SELECT name, definition, from_seq FROM aggregate_defs").all().map((r) => [r.name, r]),
    );
    const declared = new Set(definitions.map((d) => d.name));
    db.transaction(() => {
      for (const name of stored.keys()) {
        if (declared.has(name)) continue;
        // Dropped from the registry: its state must go too, or re-adding it later would resume
        // from stale values that missed everything committed in between.
        clear(db, name);
        logger.warn("aggregate no longer declared; its stored state is removed", { aggregate: name });
      }
      for (const def of definitions) {
        const definition = JSON.stringify(def);
        const row = stored.get(def.name);
        if (row && row.definition === definition) continue;
        // New or changed: it can only count from here on. History is never replayed (it may be
        // archived, and start-up must not depend on its size); answers carry fromSeq instead.
        clear(db, def.name);
        const fromSeq = headSeq + 1;
        db.query("INSERT INTO aggregate_defs (name, definition, from_seq) VALUES (?, ?, ?)").run(def.name, definition, fromSeq);
        if (headSeq > 0) {
          logger.warn(row ? "aggregate definition changed; it restarts counting" : "aggregate added to a log with history; it counts from now on", {
            aggregate: def.name,
            fromSeq,
          });
        }
      }
    })();
    const fromSeqs = new Map(db.query<{ name: string; from_seq: number }, []>("SELECT name, from_seq FROM aggregate_defs").all().map((r) => [r.name, r.from_seq]));
    for (const rule of compileAggregates(definitions)) {
      const state: State = { rule, fromSeq: fromSeqs.get(rule.name) ?? headSeq + 1, values: new Map() };
      this.#states.set(rule.name, state);
      for (const template of rule.templates) {
        let list = this.#byTemplate.get(template);
        if (!list) this.#byTemplate.set(template, (list = []));
        list.push(state);
      }
    }
    for (const row of db.query<{ name: string; grp: string; value: number }, []>("SELECT name, grp, value FROM aggregate_values").all()) {
      this.#states.get(row.name)?.values.set(row.grp, row.value);
    }
    this.#q = {
      setValue: db.prepare("INSERT INTO aggregate_values (name, grp, value) VALUES (?, ?, ?) ON CONFLICT(name, grp) DO UPDATE SET value = excluded.value"),
      deleteValue: db.prepare("DELETE FROM aggregate_values WHERE name = ? AND grp = ?"),
      member: db.prepare("SELECT grp FROM aggregate_members WHERE name = ? AND entity = ?"),
      setMember: db.prepare("INSERT INTO aggregate_members (name, entity, grp) VALUES (?, ?, ?) ON CONFLICT(name, entity) DO UPDATE SET grp = excluded.grp"),
      deleteMember: db.prepare("DELETE FROM aggregate_members WHERE name = ? AND entity = ?"),
      clearValues: db.prepare("DELETE FROM aggregate_values"),
      clearMembers: db.prepare("DELETE FROM aggregate_members"),
      setFromSeq: db.prepare("UPDATE aggregate_defs SET from_seq = ?"),
    };
  }

  /**
   * Create the tables if needed, reconcile the stored definitions with the declared ones, and load
   * the stored values. `headSeq`: the log's head, where a new aggregate starts counting.
   */
  static attach(db: Database, definitions: readonly WireAggregate[], options: { readonly headSeq: number; readonly logger: Logger }): AggregateStore {
    return new AggregateStore(db, definitions, options.headSeq, options.logger);
  }

  /** Whether any aggregate is declared (a log may skip staging entirely when not). */
  get empty(): boolean {
    return this.#states.size === 0;
  }

  /**
   * Apply newly committed events (never duplicates), in seq order. Must run inside the caller's
   * SQLite transaction on the database given to {@link attach}: it writes the new values (and
   * entity memberships) there. Memory is not touched until {@link publish}.
   *
   * `restartFrom`: first drop every value and count from this seq on (the caller cannot see the
   * events before it); `events` must then start at that seq.
   */
  stage(events: readonly SequencedEvent[], restartFrom: number | null = null): AggregateDelta {
    const delta = new Map<string, Map<string, number | null>>();
    if (this.#states.size === 0) return { restartFrom, changes: delta };
    if (restartFrom !== null) {
      this.#q.clearValues.run();
      this.#q.clearMembers.run();
      this.#q.setFromSeq.run(restartFrom);
    }
    for (const event of events) {
      const states = this.#byTemplate.get(event.template);
      if (!states) continue;
      for (const state of states) {
        let changes = delta.get(state.rule.name);
        if (!changes) delta.set(state.rule.name, (changes = new Map()));
        const current = (group: string): number => {
          const staged = changes.get(group);
          if (staged !== undefined) return staged ?? 0;
          return restartFrom === null ? (state.values.get(group) ?? 0) : 0;
        };
        const rule = state.rule;
        if (rule.kind === "sum") {
          const c = rule.contribution(event);
          if (c !== null) changes.set(c.group, current(c.group) + c.amount);
          continue;
        }
        const op = rule.operation(event);
        if (op === null) continue;
        const before = this.#q.member.get(rule.name, op.entity)?.grp;
        if (op.type === "set") {
          if (before === op.group) continue;
          this.#q.setMember.run(rule.name, op.entity, op.group);
          changes.set(op.group, current(op.group) + 1);
        } else {
          if (before === undefined) continue;
          this.#q.deleteMember.run(rule.name, op.entity);
        }
        if (before !== undefined) {
          const left = current(before) - 1;
          // A group without entities does not exist, like a GROUP BY over the live entities.
          changes.set(before, left === 0 ? null : left);
        }
      }
    }
    for (const [name, changes] of delta) {
      for (const [group, value] of changes) {
        if (value === null) this.#q.deleteValue.run(name, group);
        else this.#q.setValue.run(name, group, value);
      }
    }
    return { restartFrom, changes: delta };
  }

  /** Make staged values visible, once their transaction has committed. */
  publish(delta: AggregateDelta): void {
    if (delta.restartFrom !== null) {
      for (const state of this.#states.values()) {
        state.values.clear();
        state.fromSeq = delta.restartFrom;
      }
    }
    for (const [name, changes] of delta.changes) {
      const values = this.#states.get(name)?.values;
      if (!values) continue;
      for (const [group, value] of changes) {
        if (value === null) values.delete(group);
        else values.set(group, value);
      }
    }
  }

  list(): AggregateInfo[] {
    return [...this.#states.keys()].map((name) => this.info(name)!);
  }

  info(name: string): AggregateInfo | null {
    const s = this.#states.get(name);
    if (!s) return null;
    return {
      name,
      kind: s.rule.kind,
      ...(s.rule.description === undefined ? {} : { description: s.rule.description }),
      fromSeq: s.fromSeq,
      groups: s.values.size,
    };
  }

  values(name: string): ReadonlyMap<string, number> | null {
    return this.#states.get(name)?.values ?? null;
  }

  value(name: string, key: string): number | undefined {
    return this.#states.get(name)?.values.get(key);
  }
}

function clear(db: Database, name: string): void {
  for (const table of ["aggregate_defs", "aggregate_values", "aggregate_members"]) db.query(`DELETE FROM ${table} WHERE name = ?`).run(name);
}
