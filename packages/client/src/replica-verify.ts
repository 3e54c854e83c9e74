/**
 * `client.verify()`: compare the local replica's graph digest with the gateway's server replica's
 * (`GET /digest`) at the *same* seq, without stopping either side for long (docs/PROTOCOL.md §11):
 *
 * 1. between two applied batches (an inbox step: nothing is applied meanwhile) the client is at C,
 *    and asks `GET /digest?seq=C`;
 * 2. the gateway answers at C (it held its replica there) or, when its replica had already gone
 *    past C, at its seq S > C;
 * 3. at S > C the client holds: batches are cut at S, and once it has applied exactly S it digests
 *    its replica, before applying anything after S.
 *
 * The verifier owns the hold; the client routes every batch through {@link Verifier.through}.
 * @module
 */
import { ErrorCode, SyncError, type SequencedEvent } from "@kuzu-sync/protocol";
import type { Replica } from "@kuzu-sync/replica";
import { digestLocal } from "#replica-digest";

/** A replica's digest at a seq, as `GET /digest` and the local digest give it. */
export interface DigestAtSeq {
  readonly seq: number;
  readonly sha256: string;
  readonly nodes: number;
  readonly relationships: number;
}

/** What `client.verify()` found. */
export interface VerifyResult {
  /** The seq both digests are at. */
  readonly seq: number;
  readonly match: boolean;
  readonly local: DigestAtSeq;
  readonly server: DigestAtSeq;
}

/** What the verifier needs from the client. */
export interface VerifierHost {
  /** The replica in use now (it changes after a snapshot bootstrap). */
  replica(): Replica;
  /** Run a step in the client's inbox, in order with the event pages (between two applied batches). */
  enqueue(step: () => Promise<void>): void;
  /** `GET /digest?seq=N` on the gateway. */
  fetchDigest(seq: number): Promise<DigestAtSeq>;
}

interface Hold {
  readonly server: DigestAtSeq;
  readonly resolve: (result: VerifyResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * @example
 * const verifier = new Verifier({ replica: () => replica, enqueue: (s) => inbox.push(s), fetchDigest });
 * await verifier.through(events, (batch) => apply(batch)); // in the apply path
 * const result = await verifier.verify(30_000);
 */
export class Verifier {
  readonly #host: VerifierHost;
  #hold: Hold | null = null;
  #pending: Promise<VerifyResult> | null = null;

  constructor(host: VerifierHost) {
    this.#host = host;
  }

  /** Compare with the gateway (one verification at a time; a second call shares the first). */
  verify(timeoutMs: number): Promise<VerifyResult> {
    this.#pending ??= this.#run(timeoutMs).finally(() => (this.#pending = null));
    return this.#pending;
  }

  /** Apply `events` with `apply`, stopping at a held seq to digest there first. */
  async through(events: readonly SequencedEvent[], apply: (events: readonly SequencedEvent[]) => Promise<void>): Promise<void> {
    const hold = this.#hold;
    if (hold === null) return apply(events);
    const at = hold.server.seq;
    const before = events.filter((e) => e.seq <= at);
    const after = events.filter((e) => e.seq > at);
    if (before.length > 0) await apply(before);
    const applied = this.#host.replica().appliedSeq;
    if (applied === at) await this.#settle(hold, () => this.#compare(hold.server));
    else if (applied > at) this.#settle(hold, () => Promise.reject(new SyncError(ErrorCode.TIMEOUT, `the replica moved from before seq ${at} to ${applied} (a snapshot) while verifying; verify again`)));
    // Not reached (the batch failed and the client resyncs): what lies beyond waits for catch-up.
    if (after.length > 0 && this.#hold === null) await apply(after);
  }

  /** Forget a verification in progress (the client is closing). */
  cancel(error: unknown): void {
    const hold = this.#hold;
    this.#hold = null;
    hold?.reject(error);
  }

  async #run(timeoutMs: number): Promise<VerifyResult> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = new Promise<VerifyResult>((resolve, reject) => {
      timer = setTimeout(() => {
        this.#hold = null;
        reject(new SyncError(ErrorCode.TIMEOUT, `verification did not complete within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#host.enqueue(async () => {
        try {
          const at = this.#host.replica().appliedSeq;
          const server = await this.#host.fetchDigest(at);
          if (server.seq < at) throw new SyncError(ErrorCode.INTERNAL, `the gateway answered with a digest at seq ${server.seq}, before the replica's ${at}`);
          if (server.seq === at) return resolve(await this.#compare(server));
          // The gateway is ahead: stop at its seq and digest there (through()).
          this.#hold = { server, resolve, reject };
        } catch (error) {
          reject(error);
        }
      });
    });
    try {
      return await result;
    } finally {
      clearTimeout(timer);
    }
  }

  async #settle(hold: Hold, result: () => Promise<VerifyResult>): Promise<void> {
    this.#hold = null;
    try {
      hold.resolve(await result());
    } catch (error) {
      hold.reject(error);
    }
  }

  async #compare(server: DigestAtSeq): Promise<VerifyResult> {
    const d = await digestLocal(this.#host.replica());
    const local: DigestAtSeq = { seq: d.seq, sha256: d.sha256, nodes: d.nodes, relationships: d.relationships };
    if (local.seq !== server.seq) throw new SyncError(ErrorCode.INTERNAL, `digested the replica at seq ${local.seq}, not ${server.seq}`);
    return { seq: server.seq, match: local.sha256 === server.sha256, local, server };
  }
}

/**
 * `GET /digest?seq=N` on the gateway behind `wsUrl` (its WebSocket URL).
 * @example await fetchServerDigest("ws://localhost:8080", 120, token);
 */
export async function fetchServerDigest(wsUrl: string, seq: number, token: string | undefined, signal?: AbortSignal): Promise<DigestAtSeq> {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  const target = new URL(`/digest?seq=${seq}`, url);
  // A browser's ?token= travels in the page URL only for the socket; HTTP takes the header.
  const t = token ?? url.searchParams.get("token") ?? undefined;
  let res: Response;
  try {
    res = await fetch(target, { headers: t === undefined ? {} : { authorization: `Bearer ${t}` }, ...(signal ? { signal } : {}) });
  } catch (cause) {
    throw new SyncError(ErrorCode.CLOSED, `cannot reach ${target.origin}/digest: ${String(cause)}`, { cause });
  }
  const body = (await res.json().catch(() => null)) as (Partial<DigestAtSeq> & { error?: string; message?: string }) | null;
  if (!res.ok || body === null || typeof body.sha256 !== "string" || !Number.isSafeInteger(body.seq)) {
    const code = res.status === 401 ? ErrorCode.UNAUTHORIZED : res.status === 503 && body?.error === "APPLY_STOPPED" ? ErrorCode.APPLY_STOPPED : ErrorCode.NOT_READY;
    throw new SyncError(code, `GET /digest answered ${res.status}: ${body?.message ?? body?.error ?? "no digest"}`);
  }
  return { seq: body.seq!, sha256: body.sha256, nodes: Number(body.nodes), relationships: Number(body.relationships) };
}
