/**
 * A TCP proxy in front of a real gateway that can hold what clients send: bytes from the client
 * side are buffered while held and forwarded, in order, on release; the gateway's bytes always
 * flow. A client behind it keeps receiving the stream while its own events (and their acks) wait
 * — the situation between writing an event and the server sequencing it, made as long as a test
 * needs. Nothing is parsed or changed: the WebSocket frames go through byte for byte.
 * @module
 */
import type { Socket, TCPSocketListener } from "bun";

interface Pair {
  client: Socket<Pair>;
  upstream: Socket<undefined> | null;
  /** Client bytes not forwarded yet (held, or waiting for the upstream connection). */
  pending: Uint8Array[];
  closed: boolean;
}

export interface TcpProxy extends AsyncDisposable {
  /** `ws://127.0.0.1:<port>` of the proxy. */
  readonly url: string;
  /** Stop forwarding what clients send (buffered until {@link release}). */
  hold(): void;
  /** Forward what was held, and everything after it. */
  release(): void;
  close(): Promise<void>;
}

/**
 * @example
 * await using proxy = await startTcpProxy(gateway.port);
 * const client = await pool.connect(proxy.url);
 * proxy.hold(); // the client's next events stay in the proxy
 */
export async function startTcpProxy(targetPort: number, options: { readonly held?: boolean } = {}): Promise<TcpProxy> {
  let held = options.held ?? false;
  const pairs = new Set<Pair>();
  const flush = (p: Pair): void => {
    if (held || p.upstream === null || p.closed) return;
    for (const chunk of p.pending.splice(0)) p.upstream.write(chunk);
  };
  const listener: TCPSocketListener<Pair> = Bun.listen<Pair>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        const pair: Pair = { client, upstream: null, pending: [], closed: false };
        client.data = pair;
        pairs.add(pair);
        Bun.connect({
          hostname: "127.0.0.1",
          port: targetPort,
          socket: {
            data: (_s, chunk) => void pair.client.write(chunk),
            close: () => {
              pair.closed = true;
              pair.client.end();
            },
            error: () => void pair.client.end(),
          },
        }).then(
          (upstream) => {
            pair.upstream = upstream;
            if (pair.closed) upstream.end();
            else flush(pair);
          },
          () => pair.client.end(),
        );
      },
      data(client, chunk) {
        client.data.pending.push(new Uint8Array(chunk));
        flush(client.data);
      },
      close(client) {
        const p = client.data;
        p.closed = true;
        p.upstream?.end();
        pairs.delete(p);
      },
    },
  });
  const close = async (): Promise<void> => {
    for (const p of pairs) {
      p.closed = true;
      p.client.end();
      p.upstream?.end();
    }
    listener.stop(true);
  };
  return {
    url: `ws://127.0.0.1:${listener.port}`,
    hold: () => void (held = true),
    release() {
      held = false;
      for (const p of pairs) flush(p);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
