/**
 * The registry versions a log holds, kept beside the events like the counts (`commit-totals.ts`):
 * one row per version (its registry event's seq, hash, kind and whole wire registry), written in the
 * transaction that stores the registry event, and never archived — so a gateway knows every
 * version, and can hand a replica the one in force at any seq, after the events themselves have
 * moved to S3. A registry event is a version only when it follows the latest one (the rule every
 * replica applies too: docs/PROTOCOL.md §10.2); others are kept in the log but change nothing.
 * @module
 */
import type { Database, Statement } from "bun:sqlite";
import { readRegistryChange, REGISTRY_TEMPLATE, WireRegistrySchema, type RegistryChange, type RegistryChangeKind, type SequencedEvent, type WireRegistry } from "@kuzu-sync/protocol";

/** One version recorded in the log. */
export interface RegistryVersionEntry {
  readonly version: number;
  /** Seq of its registry event. */
  readonly seq: number;
  readonly hash: string;
  readonly kind: RegistryChangeKind;
  readonly registry: WireRegistry;
}

/**
 * Whether `change` becomes the log's next version after `latest`.
 * @example if (followsHistory(history.latest(), change)) record(change);
 */
export function followsHistory(latest: RegistryVersionEntry | undefined, change: RegistryChange): boolean {
  if (latest === undefined) return change.kind === "genesis" || change.kind === "adopt";
  return change.kind === "upgrade" && change.version === latest.version + 1;
}

/**
 * @example
 * const history = RegistryHistory.attach(db);
 * const staged = db.transaction(() => history.stage(committed))();
 * history.publish(staged);
 * history.latest()?.version;
 */
export class RegistryHistory {
  #entries: RegistryVersionEntry[];
  readonly #insert: Statement;

  private constructor(db: Database) {
    db.exec(
      "CREATE TABLE IF NOT EXISTS registry_versions (version INTEGER PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, kind TEXT NOT NULL, registry TEXT NOT NULL) WITHOUT ROWID",
    );
    this.#entries = RegistryHistory.read(db);
    this.#insert = db.prepare("INSERT INTO registry_versions (version, seq, hash, kind, registry) VALUES (?, ?, ?, ?, ?)");
  }

  /** Create the table if needed and load the versions (one row each). */
  static attach(db: Database): RegistryHistory {
    return new RegistryHistory(db);
  }

  /**
   * The versions in a log or index file opened read-only (none when it has no such table): for
   * `sync-server plan`, which must not change anything.
   * @example const versions = RegistryHistory.read(new Database(path, { readonly: true }));
   */
  static read(db: Database): RegistryVersionEntry[] {
    const table = db.query<{ n: number }, []>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'registry_versions'").get();
    if ((table?.n ?? 0) === 0) return [];
    return db
      .query<{ version: number; seq: number; hash: string; kind: string; registry: string }, []>("SELECT * FROM registry_versions ORDER BY version")
      .all()
      .map(toEntry);
  }

  /** Every version, ascending. */
  entries(): readonly RegistryVersionEntry[] {
    return this.#entries;
  }

  latest(): RegistryVersionEntry | undefined {
    return this.#entries.at(-1);
  }

  /**
   * The registry in force for the event at `seq`: the latest version recorded at a lower seq, or
   * (a log from before versions, whose first version was adopted later) its first version.
   * @example const base = history.inForceAt(lastSeq + 1);
   */
  inForceAt(seq: number): RegistryVersionEntry | undefined {
    let found: RegistryVersionEntry | undefined;
    for (const e of this.#entries) if (e.seq < seq) found = e;
    const first = this.#entries[0];
    return found ?? (first?.kind === "adopt" ? first : undefined);
  }

  /**
   * Record the versions among newly committed events (effective ones, in seq order) inside the
   * caller's transaction; visible after {@link publish}.
   */
  stage(events: readonly SequencedEvent[]): RegistryVersionEntry[] {
    const staged: RegistryVersionEntry[] = [];
    for (const e of events) {
      if (e.template !== REGISTRY_TEMPLATE) continue;
      const read = readRegistryChange(e.params);
      if (!read.ok || !followsHistory(staged.at(-1) ?? this.latest(), read.change)) continue;
      const c = read.change;
      const entry: RegistryVersionEntry = { version: c.version, seq: e.seq, hash: c.hash, kind: c.kind, registry: c.registry };
      this.#insert.run(entry.version, entry.seq, entry.hash, entry.kind, JSON.stringify(entry.registry));
      staged.push(entry);
    }
    return staged;
  }

  /**
   * Take versions this log can no longer read from its events (a JetStream index that starts past
   * the stream's purged head: the versions come from the KV mirror). Only versions after the latest
   * known one are taken, in order; the rows are written at once.
   * @example history.seed(await readMirroredVersions(kv, stream));
   */
  seed(entries: readonly RegistryVersionEntry[]): number {
    const taken: RegistryVersionEntry[] = [];
    for (const e of [...entries].sort((a, b) => a.version - b.version)) {
      const latest = taken.at(-1) ?? this.latest();
      if (latest !== undefined ? e.version !== latest.version + 1 : e.kind === "upgrade") continue;
      this.#insert.run(e.version, e.seq, e.hash, e.kind, JSON.stringify(e.registry));
      taken.push(e);
    }
    this.publish(taken);
    return taken.length;
  }

  publish(staged: readonly RegistryVersionEntry[]): void {
    if (staged.length > 0) this.#entries = [...this.#entries, ...staged];
  }
}

function toEntry(r: { version: number; seq: number; hash: string; kind: string; registry: string }): RegistryVersionEntry {
  return { version: r.version, seq: r.seq, hash: r.hash, kind: r.kind as RegistryChangeKind, registry: WireRegistrySchema.parse(JSON.parse(r.registry)) as WireRegistry };
}
