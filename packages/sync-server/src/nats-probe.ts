/**
 * A quick look at whether any NATS server of `NATS_URL` accepts a TCP connection, so the gateway
 * can say at once that NATS is unreachable. The NATS client itself waits for the first connection
 * silently (and keeps trying: the gateway rides out NATS outages), which left a mistyped
 * `--nats-url` unexplained.
 * @module
 */

const DEFAULT_PORTS: Readonly<Record<string, number>> = { "nats:": 4222, "tls:": 4222, "ws:": 80, "wss:": 443 };

/**
 * Resolves with null when some server accepts a TCP connection within `timeoutMs`, else with why
 * none did (`127.0.0.1:4222: connection refused`). Never rejects.
 * @example const problem = await probeNats("nats://127.0.0.1:4222"); // null when it is up
 */
export async function probeNats(natsUrl: string, timeoutMs = 2_000): Promise<string | null> {
  const problems = await Promise.all(natsUrl.split(",").map((server) => probeServer(server.trim(), timeoutMs)));
  return problems.includes(null) ? null : problems.join("; ");
}

async function probeServer(server: string, timeoutMs: number): Promise<string | null> {
  const url = new URL(server.includes("://") ? server : `nats://${server}`);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = url.port === "" ? (DEFAULT_PORTS[url.protocol] ?? 4222) : Number(url.port);
  const where = `${url.hostname}:${port}`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`${where}: no answer within ${timeoutMs} ms`), timeoutMs)));
  const attempt = Bun.connect({ hostname, port, socket: { data() {}, open(socket) { socket.end(); } } }).then(
    () => null,
    (error: NodeJS.ErrnoException) => `${where}: ${error.code === "ECONNREFUSED" ? "connection refused" : error.code === "ENOTFOUND" ? "unknown host" : (error.message ?? String(error))}`,
  );
  try {
    return await Promise.race([attempt, late]);
  } finally {
    clearTimeout(timer);
  }
}
