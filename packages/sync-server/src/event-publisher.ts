/**
 * Publishes committed events on core NATS, one subject per template, for other services to
 * subscribe to (`kuzu-sync.events.>` or `kuzu-sync.events.CREATE_USER`). Registry events
 * (docs/PROTOCOL.md §10) are not published: these subjects carry the DML events of the registry's
 * templates, and a subscriber to `>` should not have to tell a schema change from a write.
 * @module
 */
import { REGISTRY_TEMPLATE, type SequencedEvent } from "@kuzu-sync/protocol";
import type { NatsLink } from "@kuzu-sync/log";
import type { Logger } from "@kuzu-sync/telemetry";

/** Subject prefix of published events; the template name is the last token. */
export const EVENTS_SUBJECT_PREFIX = "kuzu-sync.events";

/** Subject an event is published on. Template names are `[A-Z][A-Z0-9_]*`, valid subject tokens. */
export function eventSubject(template: string): string {
  return `${EVENTS_SUBJECT_PREFIX}.${template}`;
}

/** While NATS is down, the client library buffers publishes in memory; past this many bytes we drop. */
const MAX_BUFFERED_BYTES = 16 << 20;

/**
 * Core NATS publish is at-most-once: never blocks or fails an ack. While the connection is down,
 * up to 16 MiB of events are buffered by the NATS client and sent on reconnect; beyond that, and
 * before the first connect, events are dropped and counted (`dropped`).
 *
 * @example
 * const publisher = new EventPublisher(link, logger);
 * log.onCommit(({ own }) => publisher.publish(own));
 */
export class EventPublisher {
  readonly #link: NatsLink;
  readonly #logger: Logger;
  readonly #encoder = new TextEncoder();
  #published = 0;
  #dropped = 0;
  #bufferedWhileDown = 0;

  constructor(link: NatsLink, logger: Logger) {
    this.#link = link;
    this.#logger = logger.child({ component: "event-publisher" });
    link.onChange((connected) => {
      if (connected) this.#bufferedWhileDown = 0;
    });
  }

  /** Events handed to NATS and events dropped since start. */
  get counts(): { published: number; dropped: number } {
    return { published: this.#published, dropped: this.#dropped };
  }

  /**
   * Publish each event in the given order (a commit's `own`: duplicate slots, which take no effect,
   * are not in it), except registry events, which are neither published nor counted.
   */
  publish(events: readonly SequencedEvent[]): void {
    const nc = this.#link.nc;
    for (const event of events) {
      if (event.template === REGISTRY_TEMPLATE) continue;
      const data = this.#encoder.encode(JSON.stringify(event));
      if (nc === null || nc.isClosed() || (!this.#link.connected && this.#bufferedWhileDown + data.byteLength > MAX_BUFFERED_BYTES)) {
        if (this.#dropped++ % 1000 === 0) {
          this.#logger.warn("NATS unreachable: committed events are not being published", { seq: event.seq, dropped: this.#dropped });
        }
        continue;
      }
      if (!this.#link.connected) this.#bufferedWhileDown += data.byteLength;
      try {
        nc.publish(eventSubject(event.template), data);
        this.#published++;
      } catch (error) {
        this.#dropped++;
        this.#logger.warn("publish failed", { seq: event.seq, error: String(error) });
      }
    }
  }
}
