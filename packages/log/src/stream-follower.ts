/**
 * Follows a JetStream stream in order, for ever: one ephemeral consumer at a time, each message
 * checked by stream seq, and any trouble (a lost consumer, missed heartbeats, a skipped seq, a
 * NATS node gone) answered the same way — drop the consumer and start a new one after the head.
 * @module
 */
import { ConsumerEvents, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "nats";
import type { Logger } from "@kuzu-sync/telemetry";
import { decodeStreamEvent, openConsumer, within, type StreamEvent } from "./jetstream-stream.ts";
import type { NatsLink } from "./nats-link.ts";

export interface StreamFollowerOptions {
  readonly link: NatsLink;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly logger: Logger;
  /** Last seq delivered for good; a new consumer starts after it. */
  readonly head: () => number;
  /** First seq the stream still holds: a jump is accepted only from below it (archived events). */
  readonly streamFirst: () => number;
  /**
   * Each message, in stream order, once per consumer; `pending()` says how many the stream held
   * after it when it was delivered (parsed from the message's reply subject only when asked).
   */
  readonly onMessage: (event: StreamEvent, pending: () => number) => void;
  /** The consumer was dropped: messages handed over since `head()` must be forgotten. */
  readonly onReset: () => void;
  /** Bound on setting a consumer up (default 2000 ms). */
  readonly setupMs?: number;
}

/**
 * @example
 * const follower = new StreamFollower({ link, js, jsm, stream, logger, head: () => head, streamFirst: () => 1, onMessage, onReset });
 * follower.start();
 * await follower.stop();
 */
export class StreamFollower {
  readonly #o: StreamFollowerOptions;
  #received = 0;
  #messages: ConsumerMessages | null = null;
  /** Bumped for every consumer, so a late message of an ended one is ignored. */
  #generation = 0;
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(options: StreamFollowerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#received = this.#o.head();
    this.#running ??= this.#follow();
  }

  /** End the current consumer (once); a new one starts from the head. */
  restart(reason: string): void {
    const messages = this.#messages;
    if (this.#stopped || messages === null) return;
    this.#messages = null;
    this.#generation++;
    this.#o.logger.warn("restarting the stream consumer", { reason, head: this.#o.head() });
    void messages.close().catch(() => {});
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#generation++;
    await this.#messages?.close().catch(() => {});
    await this.#running;
  }

  async #follow(): Promise<void> {
    const { link, logger } = this.#o;
    const setupMs = this.#o.setupMs ?? 2_000;
    while (!this.#stopped) {
      let remove: (() => Promise<void>) | null = null;
      try {
        const nc = await link.connection;
        if (nc.isClosed()) return;
        if (link.connected) {
          const generation = ++this.#generation;
          // Short set-up bound: while a cluster elects leaders, asking again soon gets there first.
          const opened = await openConsumer(this.#o.js, this.#o.jsm, this.#o.stream, this.#received + 1, setupMs);
          remove = opened.remove;
          if (this.#stopped) return;
          const messages = await within(
            opened.consumer.consume({
              callback: (m: JsMsg) => {
                if (generation === this.#generation) this.#receive(m);
              },
              max_messages: 1_000,
              // Short heartbeats: a consumer lost with a NATS node is noticed within seconds.
              expires: 5_000,
              idle_heartbeat: 1_000,
            }),
            setupMs,
            "starting to consume",
          );
          this.#messages = messages;
          void this.#watch(messages);
          const ended = await messages.closed();
          if (this.#stopped) return;
          logger.warn("stream consumer stopped; starting a new one from the head", { error: String(ended ?? "closed"), head: this.#o.head() });
        }
      } catch (error) {
        if (this.#stopped) return;
        logger.warn("cannot consume the stream; retrying", { error: String(error), head: this.#o.head() });
      } finally {
        this.#generation++;
        this.#messages = null;
        void remove?.();
      }
      // What was handed over but not yet delivered for good went with the consumer.
      this.#o.onReset();
      this.#received = this.#o.head();
      await Bun.sleep(250);
    }
  }

  /** Any sign of trouble in the consumer's status (missed heartbeats, consumer gone): restart it. */
  async #watch(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const status of await messages.status()) {
        this.#o.logger.debug("stream consumer status", { type: status.type, data: String(status.data) });
        const trouble =
          (status.type === ConsumerEvents.HeartbeatsMissed && Number(status.data) >= 2) ||
          status.type === ConsumerEvents.ConsumerNotFound ||
          status.type === ConsumerEvents.ConsumerDeleted ||
          status.type === ConsumerEvents.StreamNotFound ||
          status.type === ConsumerEvents.NoResponders;
        if (trouble) {
          if (messages === this.#messages) this.restart(`consumer status ${status.type} ${String(status.data)}`);
          return;
        }
      }
    } catch (error) {
      this.#o.logger.debug("stream consumer status ended", { error: String(error) });
    }
  }

  #receive(m: JsMsg): void {
    if (m.seq <= this.#received) return; // already handed over by an earlier consumer
    if (m.seq !== this.#received + 1) {
      // Older messages removed from the stream (archived) explain a jump at the start only.
      if (this.#received + 1 >= this.#o.streamFirst()) {
        this.restart(`expected seq ${this.#received + 1}, got ${m.seq}`);
        return;
      }
      this.#o.logger.warn("stream starts past this gateway's head (older events were removed)", { head: this.#received, first: m.seq });
    }
    let decoded: StreamEvent;
    try {
      decoded = decodeStreamEvent(m);
    } catch (error) {
      // Only gateways publish on the log subject; anything else there is an operator error.
      this.#o.logger.error("stream message is not an event; consumption stops here", { seq: m.seq, error: String(error) });
      this.restart("undecodable message");
      return;
    }
    this.#received = m.seq;
    this.#o.onMessage(decoded, () => m.info.pending);
  }
}
