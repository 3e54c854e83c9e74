/**
 * The client's data side: the local replica and what reaches it. Everything the gateway sends that
 * changes the replica (event pages, the registry to install, a snapshot to rebuild from) is
 * processed strictly in arrival order by one inbox, through the crash guard and the verifier;
 * applied outcomes become statistics, `event`/`registry` events, confirmed optimistic writes and
 * live-query invalidations. `SyncClient` keeps the public API and the connection; this file keeps
 * the order in which the replica changes.
 * @module
 */
import { CloseCode, ErrorCode, REGISTRY_TEMPLATE, SyncError, type SequencedEvent, type SnapshotOffer, type WelcomeMessage } from "@kuzu-sync/protocol";
import { CrashGuard, Replica, type ApplyOutcome } from "@kuzu-sync/replica";
import type { DmlStats, Logger } from "@kuzu-sync/telemetry";
import type { AppliedReports } from "./applied-reports.ts";
import type { SyncClientEvents } from "./client-options.ts";
import type { Connection } from "./connection.ts";
import { Inbox, type InboxItem } from "./inbox.ts";
import { changeOf, type LiveQueries } from "./live-queries.ts";
import type { LocalWrites } from "./local-writes.ts";
import { registryKnown } from "./registry-compat.ts";
import { Verifier, fetchServerDigest, type VerifyResult } from "./replica-verify.ts";
import type { SeqWaiters } from "./seq-waiters.ts";
import { diverged } from "./stop-reasons.ts";
import { SNAPSHOTS_SUPPORTED, bootstrapFromSnapshot, removeBootstrapLeftovers } from "#snapshot-bootstrap";

/** What the feed needs from its client. `local` and `live` are read when used (they are built after the feed). */
export interface FeedHost {
  readonly clientId: string;
  /** The gateway's WebSocket URL (snapshots and digests are fetched from it). */
  readonly url: string;
  /** `url` without its query string, for messages. */
  readonly safeUrl: string;
  readonly dbPath: string | null;
  readonly log: Logger;
  /** Aborted when the client closes. */
  readonly signal: AbortSignal;
  readonly connection: Connection;
  readonly stats: DmlStats;
  readonly seqWaiters: SeqWaiters;
  readonly appliedReports: AppliedReports;
  local(): LocalWrites;
  live(): LiveQueries;
  /** The token of the current connection, for HTTP requests to the gateway. */
  token(): string | undefined;
  closed(): boolean;
  emit<K extends keyof SyncClientEvents>(name: K, value: SyncClientEvents[K]): void;
  listens(name: keyof SyncClientEvents): boolean;
  fail(error: SyncError): void;
}

/**
 * @example
 * const feed = new ReplicaFeed(host);
 * await feed.open();
 * feed.enqueue(msg.events); // from the socket, in arrival order
 * await feed.idle();
 * await feed.closeReplica();
 */
export class ReplicaFeed {
  readonly #h: FeedHost;
  #replica: Replica | null = null;
  /** Marker around each apply of a persistent replica, so a poison event cannot crash-loop it (crash-guard.ts). */
  #guard: CrashGuard | null = null;
  /** Applies that stopped in a row (APPLY_STOPPED, APPLY_TIMEOUT, a gap): each reconnect waits longer. */
  #applyStops = 0;
  /** Work received from the server, processed strictly in arrival order by one drain loop. */
  readonly #inbox: Inbox;
  /** `verify()`: holds the apply path at the seq the gateway digested (replica-verify.ts). */
  readonly #verifier: Verifier;

  constructor(host: FeedHost) {
    this.#h = host;
    this.#inbox = new Inbox(
      (events) => this.#verifier.through(events, (batch) => this.#applyBatch(batch)),
      (cause) => host.fail(new SyncError(ErrorCode.INTERNAL, String(cause), { cause })),
    );
    this.#verifier = new Verifier({
      replica: () => this.#replica!,
      enqueue: (step) => this.enqueue(step),
      fetchDigest: (seq) => fetchServerDigest(host.url, seq, host.token(), host.signal),
    });
  }

  /** The replica (null before {@link open}); replaced by a snapshot bootstrap. */
  get replica(): Replica | null {
    return this.#replica;
  }

  /** Whether events received are waiting to be applied. */
  get eventsQueued(): boolean {
    return this.#inbox.eventsQueued;
  }

  /** Open (or create) the replica, after removing what an interrupted bootstrap left. */
  async open(): Promise<Replica> {
    const { dbPath: path, log } = this.#h;
    if (path) removeBootstrapLeftovers(path);
    this.#replica = await Replica.open({ path, logger: log });
    this.#guard = CrashGuard.open({ path, logger: log, who: `client ${this.#h.clientId}'s replica` });
    return this.#replica;
  }

  enqueue(item: InboxItem): void {
    this.#inbox.push(item);
  }

  /**
   * Compare the replica with the gateway's at one seq (replica-verify.ts); on a mismatch emit
   * `divergence` and REPLICA_DIVERGED, and with `repair` rebuild from the gateway's snapshot.
   */
  async verify(timeoutMs: number, repair: boolean): Promise<VerifyResult> {
    const result = await this.#verifier.verify(timeoutMs);
    if (!result.match) this.#diverged(result, repair);
    return result;
  }

  /** `verifyAfterCatchUp`: verify once caught up, and rebuild from a snapshot on a mismatch. */
  verifyInBackground(timeoutMs: number): void {
    this.verify(timeoutMs, true).then(
      (result) => {
        if (result.match) this.#h.log.info("replica verified", { seq: result.seq, sha256: result.local.sha256.slice(0, 12) });
      },
      (error: unknown) => {
        if (this.#h.closed()) return;
        this.#h.fail(error instanceof SyncError ? error : new SyncError(ErrorCode.INTERNAL, `verification failed: ${String(error)}`, { cause: error }));
      },
    );
  }

  /**
   * Runs after the connection that announced the snapshot closed: once pending applies are done,
   * replace the replica with the snapshot, then connect again (hello with the snapshot's seq).
   * On failure the old replica stays and the client reconnects with backoff, which asks again.
   */
  bootstrap(offer: SnapshotOffer, token: string | undefined, welcome: WelcomeMessage): void {
    const h = this.#h;
    const dbPath = h.dbPath;
    this.enqueue(async () => {
      const current = this.#replica!;
      try {
        this.#replica = await bootstrapFromSnapshot({
          wsUrl: h.url,
          offer,
          current,
          dbPath,
          accepts: (version, hash) => registryKnown(welcome, version, hash),
          logger: h.log,
          onProgress: (p) => h.emit("snapshot", p),
          signal: h.signal,
          ...(token === undefined ? {} : { token }),
        });
      } catch (cause) {
        if (h.closed()) return;
        if (current.closed && dbPath) this.#replica = await Replica.open({ path: dbPath, logger: h.log });
        const error = cause instanceof SyncError ? cause : new SyncError(ErrorCode.INTERNAL, `snapshot bootstrap failed: ${String(cause)}`, { cause });
        return h.connection.dispatch({ type: "bootstrap-failed", error });
      }
      h.log.info("replica bootstrapped from snapshot", { clientId: h.clientId, seq: this.#replica.appliedSeq });
      h.local().replaced(this.#replica.appliedSeq);
      h.live().invalidateAll();
      h.seqWaiters.applied();
      h.connection.dispatch({ type: "bootstrap-done" });
    });
  }

  /** Pending and later `verify()` calls reject with `error` (the client is closing). */
  cancel(error: SyncError): void {
    this.#verifier.cancel(error);
  }

  /** Resolves once everything queued so far has been processed. */
  idle(): Promise<void> {
    return this.#inbox.idle();
  }

  /** Close the replica (after {@link idle}, and after the optimistic overlay that reads it). */
  async closeReplica(): Promise<void> {
    await this.#replica?.close();
  }

  async #applyBatch(events: readonly SequencedEvent[]): Promise<void> {
    const h = this.#h;
    let outcomes: ApplyOutcome[];
    try {
      const replica = this.#replica!;
      outcomes = this.#guard === null ? await replica.apply(events) : await this.#guard.apply(replica, events);
    } catch (cause) {
      // A gap, or the replica stopped (APPLY_STOPPED, APPLY_TIMEOUT: nothing was recorded for that
      // event): drop the connection and resume from what is really applied, after a delay that
      // grows while it keeps stopping, so a stuck replica does not hammer the gateway.
      h.fail(cause instanceof SyncError ? cause : new SyncError(ErrorCode.INTERNAL, String(cause), { cause }));
      this.#inbox.dropEvents(); // stale: catch-up resends them
      h.connection.dispatch({ type: "drop", code: CloseCode.RESYNC, reason: "resync", attempt: this.#applyStops++ });
      return;
    }
    const shown = await h.local().applied(events, outcomes);
    if (outcomes.length > 0) this.#applyStops = 0;
    this.#report(events, outcomes);
    h.seqWaiters.applied();
    h.appliedReports.applied();
    const live = h.live();
    if (live.size > 0) {
      const change = changeOf(shown.size === 0 ? events : events.filter((e) => !shown.has(e.id)), this.#replica!);
      if (change === "registry") live.invalidateAll();
      else live.invalidate(change);
      live.resume();
    }
  }

  /** Statistics and `event`/`registry` events for what was applied. */
  #report(events: readonly SequencedEvent[], outcomes: readonly ApplyOutcome[]): void {
    const h = this.#h;
    const bySeq = new Map(events.map((e) => [e.seq, e]));
    // Built per event only for listeners: a writer with thousands in flight rarely has one.
    const listened = h.listens("event");
    for (const o of outcomes) {
      const e = bySeq.get(o.seq)!;
      // A duplicate slot (see SequencedEvent.duplicateOf) moved the replica's seq and nothing else.
      if (e.duplicateOf !== undefined) continue;
      if (e.template === REGISTRY_TEMPLATE) {
        const replica = this.#replica!;
        if (o.ok && replica.registryVersion !== null && replica.registryHash !== null) {
          h.emit("registry", { version: replica.registryVersion, hash: replica.registryHash, seq: o.seq });
        }
        continue;
      }
      h.stats.record(e.template, o.ok ? "applied" : "failed");
      if (listened) h.emit("event", { ...e, ok: o.ok, ...(o.error === undefined ? {} : { error: o.error }) });
    }
  }

  /** The replica differs from the server's: say so, and rebuild it from the gateway's snapshot when asked. */
  #diverged(result: VerifyResult, repair: boolean): void {
    const h = this.#h;
    h.emit("divergence", result);
    const rebuild = repair && SNAPSHOTS_SUPPORTED;
    h.fail(diverged(result, { dbPath: h.dbPath, url: h.safeUrl, rebuild, repair }));
    if (rebuild) h.connection.dispatch({ type: "rebuild", offer: { seq: result.seq, url: "/snapshot", required: true } });
  }
}
