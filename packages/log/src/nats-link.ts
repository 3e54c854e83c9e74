/**
 * The gateway's one NATS connection: reconnects forever, tracks whether it is up, logs every
 * change of state. A NATS outage is a state of this object, never an exception that escapes it.
 * @module
 */
import { connect, type NatsConnection } from "nats";
import type { Logger } from "@kuzu-sync/telemetry";

export interface NatsLinkOptions {
  /** Comma-separated server URLs (NATS_URL). */
  readonly url: string;
  /** Connection name shown by the NATS server (monitoring, `nats server report connections`). */
  readonly name: string;
  readonly logger: Logger;
}

/**
 * A NATS connection that may not be up yet. `connection` resolves at the first successful connect
 * (which may take as long as NATS is unreachable); `connected` says whether it is up right now.
 *
 * @example
 * const link = NatsLink.open({ url: "nats://127.0.0.1:4222", name: "gateway", logger });
 * const nc = await link.connection; // waits for NATS
 * if (link.connected) nc.publish("subject", "data");
 * await link.close();
 */
export class NatsLink {
  readonly connection: Promise<NatsConnection>;
  readonly #logger: Logger;
  readonly #listeners = new Set<(connected: boolean) => void>();
  #nc: NatsConnection | null = null;
  #connected = false;
  #closed = false;

  private constructor(options: NatsLinkOptions) {
    this.#logger = options.logger.child({ component: "nats" });
    this.connection = connect({
      servers: options.url.split(","),
      name: options.name,
      // Never give up: the gateway rides out any outage and resumes when NATS is back.
      reconnect: true,
      maxReconnectAttempts: -1,
      waitOnFirstConnect: true,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      // A dead server is noticed within a few seconds even without a TCP reset (kill -9, partition).
      pingInterval: 2_000,
      maxPingOut: 2,
    }).then((nc) => this.#attach(nc));
    // Nobody may be awaiting `connection` yet: a failure here is logged, not unhandled.
    this.connection.catch((error: unknown) => this.#logger.error("NATS connection failed", { error: String(error) }));
  }

  static open(options: NatsLinkOptions): NatsLink {
    return new NatsLink(options);
  }

  /** The connection when it has ever connected (it may be reconnecting now), else null. */
  get nc(): NatsConnection | null {
    return this.#nc;
  }

  /** Whether the connection is up at this moment. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Called with `false` when the connection drops and `true` when it is back. */
  onChange(listener: (connected: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Flush what is buffered (bounded wait) and close. A link still connecting is closed once it connects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const nc = this.#nc;
    if (nc === null) {
      void this.connection.then((late) => late.close(), () => {});
      return;
    }
    this.#set(false);
    // Draining a connection that is down could wait for ever; give it a moment, then just close.
    if (!nc.isClosed()) await Promise.race([nc.drain().catch(() => nc.close()), Bun.sleep(2_000).then(() => nc.close())]);
  }

  #attach(nc: NatsConnection): NatsConnection {
    this.#nc = nc;
    if (this.#closed) {
      void nc.close();
      return nc;
    }
    this.#logger.info("connected to NATS", { server: nc.getServer() });
    this.#set(true);
    void (async () => {
      for await (const status of nc.status()) {
        switch (status.type) {
          case "disconnect":
            this.#logger.warn("NATS connection lost; reconnecting", { server: String(status.data) });
            this.#set(false);
            break;
          case "reconnect":
            this.#logger.info("NATS connection back", { server: String(status.data) });
            this.#set(true);
            break;
          case "error":
            this.#logger.warn("NATS error", { error: String(status.data) });
            break;
          default:
            break;
        }
      }
    })();
    void nc.closed().then((error) => {
      this.#set(false);
      if (!this.#closed) this.#logger.error("NATS connection closed for good", { error: String(error ?? "closed") });
    });
    return nc;
  }

  #set(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    for (const listener of this.#listeners) {
      try {
        listener(connected);
      } catch (error) {
        this.#logger.error("NATS state listener threw", { error: String(error) });
      }
    }
  }
}
