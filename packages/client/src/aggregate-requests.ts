/**
 * Aggregate requests in flight on one client: each `aggregate` frame gets an id, and the answer
 * (an `aggregate` message, or a `reject` carrying that id) settles it.
 * @module
 */
import { SyncError, encodeClientMessage, type AggregateResult, type ErrorCode } from "@kuzu-sync/protocol";

/**
 * @example
 * const requests = new AggregateRequests();
 * const answer = requests.send(ws, "counters", "c1"); // resolves with the server's AggregateResult
 * requests.settle(message);                           // from the socket's onmessage
 */
export class AggregateRequests {
  readonly #waiting = new Map<string, { resolve: (r: AggregateResult) => void; reject: (e: SyncError) => void }>();

  /** Send a request on `ws`; resolves with the answer, rejects with the server's code. */
  send(ws: WebSocket, name: string, key?: string): Promise<AggregateResult> {
    const id = crypto.randomUUID();
    const answer = new Promise<AggregateResult>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    ws.send(encodeClientMessage({ type: "aggregate", id, name, ...(key === undefined ? {} : { key }) }));
    return answer;
  }

  /** Settle the request an `aggregate` answer is for. */
  settle(result: AggregateResult): void {
    const w = this.#waiting.get(result.id);
    this.#waiting.delete(result.id);
    w?.resolve(result);
  }

  /** Reject the request a `reject` names; false when the id is not an aggregate request. */
  rejected(id: string, code: ErrorCode, message: string): boolean {
    const w = this.#waiting.get(id);
    if (!w) return false;
    this.#waiting.delete(id);
    w.reject(new SyncError(code, message));
    return true;
  }

  /** Reject everything in flight (the connection closed: no answer will come). */
  failAll(error: SyncError): void {
    for (const w of this.#waiting.values()) w.reject(error);
    this.#waiting.clear();
  }
}
