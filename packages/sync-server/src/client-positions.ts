/**
 * Where each connected client is: the seq its replica had when it said hello, the last seq the
 * gateway sent it, and the last seq it reported as applied (`applied`, docs/PROTOCOL.md). Its lag
 * is the log head minus what it applied. Only connected clients are held (one entry per client
 * id, however many sockets it has open), so this is bounded by the connection limit.
 * @module
 */

/** One connected client, as /stats and the dashboard show it. */
export interface ClientPosition {
  readonly clientId: string;
  /** Sockets open with this client id (a client reconnecting may briefly have two). */
  readonly sockets: number;
  /** When its first open socket said hello (ms since epoch). */
  readonly connectedAt: number;
  /** The replica's seq in its hello. */
  readonly helloSeq: number;
  /** Last seq the gateway wrote to it (catch-up page or live fan-out); its hello seq before that. */
  readonly deliveredSeq: number;
  /** Last seq it reported as applied; null until it reports (clients older than `applied`). */
  readonly appliedSeq: number | null;
  /** When it last reported (ms since epoch); null until it reports. */
  readonly reportedAt: number | null;
  /** Head seq minus applied seq (0 when it is caught up); null until it reports. */
  readonly lag: number | null;
}

interface Entry {
  sockets: number;
  readonly connectedAt: number;
  helloSeq: number;
  deliveredSeq: number;
  appliedSeq: number | null;
  reportedAt: number | null;
}

/**
 * @example
 * const positions = new ClientPositions();
 * positions.connected("c1", 40);
 * positions.delivered(["c1"], 57);
 * positions.reported("c1", 57);
 * positions.list(60); // [{ clientId: "c1", appliedSeq: 57, lag: 3, ... }]
 */
export class ClientPositions {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Connected client ids. */
  get size(): number {
    return this.#entries.size;
  }

  connected(clientId: string, lastSeq: number): void {
    const entry = this.#entries.get(clientId);
    if (entry) {
      entry.sockets++;
      return;
    }
    this.#entries.set(clientId, { sockets: 1, connectedAt: this.#now(), helloSeq: lastSeq, deliveredSeq: lastSeq, appliedSeq: null, reportedAt: null });
  }

  disconnected(clientId: string): void {
    const entry = this.#entries.get(clientId);
    if (entry && --entry.sockets <= 0) this.#entries.delete(clientId);
  }

  /** Events up to `lastSeq` were written to these clients (null: a socket that has not said hello). */
  delivered(recipients: readonly (string | null)[], lastSeq: number): void {
    for (const clientId of recipients) {
      if (clientId === null) continue;
      const entry = this.#entries.get(clientId);
      if (entry && entry.deliveredSeq < lastSeq) entry.deliveredSeq = lastSeq;
    }
  }

  /** The client says its replica has applied up to `seq`. Reports of a client not connected are dropped. */
  reported(clientId: string, seq: number): void {
    const entry = this.#entries.get(clientId);
    if (!entry) return;
    entry.appliedSeq = seq;
    entry.reportedAt = this.#now();
  }

  /**
   * Connected clients, the most behind first (those that never reported last), at most `limit`.
   * @example positions.list(log.headSeq, 100)
   */
  list(headSeq: number, limit = 1_000): ClientPosition[] {
    const all: ClientPosition[] = [];
    for (const [clientId, e] of this.#entries) {
      all.push({ clientId, ...e, lag: e.appliedSeq === null ? null : Math.max(0, headSeq - e.appliedSeq) });
    }
    all.sort((a, b) => (b.lag ?? -1) - (a.lag ?? -1) || a.clientId.localeCompare(b.clientId));
    return all.slice(0, limit);
  }
}
