/**
 * A bare WebSocket speaking the wire protocol by hand, for tests of what the gateway does with
 * frames no well-behaved client would send.
 * @module
 */
export class RawSocket implements AsyncDisposable {
  readonly ws: WebSocket;
  readonly #inbox: unknown[] = [];
  readonly #waiters: ((m: unknown) => void)[] = [];
  closeEvent: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.onmessage = (m) => {
      const value = JSON.parse(String(m.data)) as unknown;
      const w = this.#waiters.shift();
      if (w) w(value);
      else this.#inbox.push(value);
    };
    this.closeEvent = new Promise((resolve) => (ws.onclose = (e) => resolve({ code: e.code, reason: e.reason })));
  }

  static async open(url: string, init: { headers?: Record<string, string> } = {}): Promise<RawSocket> {
    const ws = new WebSocket(url, init);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
    return new RawSocket(ws);
  }

  /** Open and complete the handshake; returns the welcome. */
  static async hello(
    url: string,
    clientId = "raw-client",
    lastSeq = 0,
    init: { headers?: Record<string, string> } = {},
  ): Promise<{ socket: RawSocket; welcome: Record<string, unknown> }> {
    const socket = await RawSocket.open(url, init);
    socket.send({ type: "hello", clientId, lastSeq });
    const welcome = (await socket.next()) as Record<string, unknown>;
    for (;;) if (((await socket.next()) as { type: string }).type === "live") break;
    return { socket, welcome };
  }

  send(value: unknown): void {
    this.ws.send(typeof value === "string" || value instanceof Uint8Array ? value : JSON.stringify(value));
  }

  next(timeoutMs = 5_000): Promise<Record<string, unknown>> {
    const queued = this.#inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued as Record<string, unknown>);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("no message within timeout")), timeoutMs);
      this.#waiters.push((m) => (clearTimeout(t), resolve(m as Record<string, unknown>)));
    });
  }

  /** Next message of a given type, skipping others (e.g. broadcast events). */
  async nextOfType(type: string, timeoutMs = 5_000): Promise<Record<string, unknown>> {
    for (;;) {
      const m = await this.next(timeoutMs);
      if (m["type"] === type) return m;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}

let n = 0;
/** A well-formed client event. */
export function makeEvent(template: string, params: Record<string, unknown>, clientId = "raw-client"): Record<string, unknown> {
  return { id: `evt-${Date.now()}-${++n}`, template, params, clientId, timestamp: Date.now() };
}
