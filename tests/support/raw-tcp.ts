/**
 * WebSocket over a bare TCP socket, for what a WebSocket client object cannot show: the HTTP
 * status of a refused upgrade (and that no socket was made), and a peer that completes the
 * upgrade and then never answers a ping (half-open) or never reads.
 * @module
 */
import type { Socket } from "bun";

function upgradeRequest(port: number, path: string, headers: Readonly<Record<string, string>>): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64")}`,
    "Sec-WebSocket-Version: 13",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

export interface UpgradeAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Send one upgrade request and read the HTTP answer (101 or a refusal with its body).
 * @example expect((await upgradeStatus(port, { headers: { Authorization: "Bearer x" } })).status).toBe(401);
 */
export async function upgradeStatus(port: number, options: { path?: string; headers?: Readonly<Record<string, string>> } = {}): Promise<UpgradeAnswer> {
  let buf = Buffer.alloc(0);
  let socket: Socket<undefined> | null = null;
  try {
    return await new Promise<UpgradeAnswer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no HTTP answer within 10 s; got ${JSON.stringify(buf.toString("latin1"))}`)), 10_000);
      const settle = (): boolean => {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return false;
        const [statusLine, ...headerLines] = buf.subarray(0, end).toString("latin1").split("\r\n");
        const headers: Record<string, string> = {};
        for (const line of headerLines) {
          const i = line.indexOf(":");
          headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? "")?.[1]);
        const length = Number(headers["content-length"] ?? 0);
        const body = buf.subarray(end + 4);
        if (status !== 101 && body.length < length) return false;
        clearTimeout(timer);
        resolve({ status, headers, body: body.subarray(0, length).toString("utf8") });
        return true;
      };
      void Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          data(_s, data) {
            buf = Buffer.concat([buf, data]);
            settle();
          },
          close() {
            if (!settle()) (clearTimeout(timer), reject(new Error("connection closed before an HTTP answer")));
          },
          error(_s, error) {
            clearTimeout(timer);
            reject(error);
          },
        },
      }).then((s) => {
        socket = s;
        s.write(upgradeRequest(port, options.path ?? "/", options.headers ?? {}));
      }, reject);
    });
  } finally {
    (socket as Socket<undefined> | null)?.end();
  }
}

/** A masked client text frame (RFC 6455 §5.2). */
function textFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const header = payload.length < 126 ? [0x81, 0x80 | payload.length] : payload.length < 65_536 ? [0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff] : null;
  if (header === null) throw new RangeError("frame too long for this helper");
  const out = new Uint8Array(header.length + 4 + payload.length);
  out.set(header, 0);
  out.set(mask, header.length);
  for (let i = 0; i < payload.length; i++) out[header.length + 4 + i] = payload[i]! ^ mask[i % 4]!;
  return out;
}

/** A peer that completed the upgrade and then only does what the test tells it. */
export interface RawPeer extends AsyncDisposable {
  /** Send one text frame (e.g. a hello). */
  sendText(text: string): void;
  /** Bytes received after the upgrade (pings, events, a close frame...). */
  readonly received: () => number;
  /** Resolves when the gateway ends the TCP connection. */
  readonly closed: Promise<void>;
}

/**
 * Upgrade over raw TCP and then never answer anything — a half-open peer as the gateway sees it
 * (the kernel still ACKs, nothing answers pings).
 * @example await using peer = await openRawPeer(port); peer.sendText(JSON.stringify(hello)); await peer.closed;
 */
export async function openRawPeer(port: number, headers: Readonly<Record<string, string>> = {}): Promise<RawPeer> {
  let upgraded = false;
  let received = 0;
  let head = Buffer.alloc(0);
  let onUpgrade: (ok: boolean) => void = () => {};
  let onClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const ready = new Promise<boolean>((resolve) => (onUpgrade = resolve));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, data) {
        if (upgraded) {
          received += data.length;
          return;
        }
        head = Buffer.concat([head, data]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        upgraded = head.subarray(0, 12).toString("latin1") === "HTTP/1.1 101";
        received += head.length - end - 4;
        onUpgrade(upgraded);
      },
      close() {
        onUpgrade(false);
        onClosed();
      },
      error() {
        onUpgrade(false);
        onClosed();
      },
    },
  });
  socket.write(upgradeRequest(port, "/", headers));
  if (!(await ready)) {
    socket.end();
    throw new Error(`upgrade refused: ${head.toString("latin1").split("\r\n")[0]}`);
  }
  return {
    sendText: (text) => void socket.write(textFrame(text)),
    received: () => received,
    closed,
    [Symbol.asyncDispose]: async () => {
      socket.end();
      await closed;
    },
  };
}
