/**
 * One WebSocket connection, from its first frame to its close: frame limits (rate, size), the
 * hello (the token's subject must be the client id), events (checked in `event-checks.ts`, then
 * appended and acknowledged once durable), aggregate reads, and catch-up — pages from the log
 * through a `LogCursor` until caught up, then the fan-out, with no gap and no duplicate.
 * @module
 */
import type { ServerWebSocket } from "bun";
import {
  CloseCode,
  ErrorCode,
  MAX_EVENTS_PER_FRAME,
  RAW_DML_TEMPLATE,
  encodeServerMessage,
  isRetryable,
  parseClientMessage,
  SyncError,
  type AggregateRequest,
  type ClientEvent,
  type RefusedEvent,
  type HelloMessage,
  type SequencedEvent,
  type ServerMessage,
  type SnapshotOffer,
  type WelcomeMessage,
} from "@kuzu-sync/protocol";
import { LogCursor, LogCursorError, type EventLog } from "@kuzu-sync/log";
import type { Logger } from "@kuzu-sync/telemetry";
import { aggregateAnswer } from "./aggregate-api.ts";
import type { Principal } from "./auth.ts";
import type { ConnectionGuard, GuardState } from "./connection-guard.ts";
import type { CorkedReplies } from "./corked-replies.ts";
import { checkEvent } from "./event-checks.ts";
import { eventsFrameItems, type FrameItem } from "./events-frame.ts";
import type { FanOut } from "./fan-out.ts";
import type { RegistryState } from "./registry-state.ts";
import type { ActivityFeed } from "./gateway-activity.ts";

/** Per-socket data (`ws.data`): set at the upgrade, the session attached when the socket opens. */
export interface Connection extends GuardState {
  state: "new" | "catching-up" | "live";
  /** Resolves a catch-up waiting for the send buffer to drain. */
  drained: (() => void) | null;
  /** Who the token says this is; null when authentication is off. */
  readonly principal: Principal | null;
  session: SocketSession | null;
}

export type Socket = ServerWebSocket<Connection>;

/** What every session of a gateway shares. */
export interface SessionContext {
  readonly serverId: string;
  readonly registry: RegistryState;
  readonly log: EventLog;
  readonly logger: Logger;
  readonly maxMessageBytes: number;
  readonly maxEventBytes: number;
  readonly allowRawDml: boolean;
  readonly pageSize: number;
  /** Catch-up pauses while this many bytes wait in the socket's send buffer. */
  readonly catchUpHighWater: number;
  readonly snapshots: { offerFor(lastSeq: number): SnapshotOffer | null } | undefined;
  /**
   * The head may lag the log (JetStream: another gateway appended what this one has not consumed
   * yet): a hello beyond it waits up to this long for the head before the welcome, so only a log
   * that really ends before the client's seq makes it stop (REPLICA_AHEAD). 0: answer at once.
   */
  readonly headLagWaitMs: number;
  readonly guard: ConnectionGuard;
  readonly fanOut: FanOut<Connection>;
  /** Acks, written corked per socket after their group commit. */
  readonly replies: CorkedReplies<Connection>;
  readonly activity: ActivityFeed;
  /** Send one frame on an open socket; a live socket past the backpressure limit is evicted. */
  readonly write: (ws: Socket, frame: string) => void;
}

/**
 * @example
 * open(ws) { ws.data.session = new SocketSession(ws, context); ws.data.session.open(); }
 * message(ws, frame) { ws.data.session!.receive(frame); }
 */
export class SocketSession {
  readonly #ws: Socket;
  readonly #c: SessionContext;

  constructor(ws: Socket, context: SessionContext) {
    this.#ws = ws;
    this.#c = context;
  }

  /** The socket is open: a token's expiry closes it (4001), and so does a missing hello (4002). */
  open(): void {
    const principal = this.#ws.data.principal;
    if (principal !== null) this.#c.guard.armExpiry(this.#ws, principal.expiresAt);
    this.#c.guard.armHello(this.#ws);
  }

  /** One frame: rate limit, size limit, parse, then the message. */
  receive(frame: string | Buffer): void {
    const ws = this.#ws;
    const bytes = typeof frame === "string" ? Buffer.byteLength(frame) : frame.byteLength;
    const parsed = parseClientMessage(frame);
    if (parsed.ok && parsed.message.type === "events") return this.#events(parsed.message.events, parsed.refused ?? [], bytes);
    // Every frame but the first hello spends a token, garbage included: parsing is the cost being limited.
    const firstHello = parsed.ok && parsed.message.type === "hello" && ws.data.clientId === null;
    const refusal = firstHello ? null : this.#c.guard.spend(ws);
    if (refusal !== null) {
      const msg = parsed.ok ? parsed.message : null;
      const id = msg === null ? (parsed.ok ? undefined : parsed.id) : msg.type === "event" ? msg.event.id : "id" in msg ? msg.id : undefined;
      return id === undefined ? this.#fail(ErrorCode.RATE_LIMITED, refusal, true) : this.#reject(id, ErrorCode.RATE_LIMITED, refusal, true);
    }
    // An events frame is measured event by event (events-frame.ts): only its envelope was wrong here.
    if (!parsed.ok && parsed.eventsFrame) return this.#fail(parsed.code, parsed.message);
    if (bytes > this.#c.maxEventBytes) {
      const code = ErrorCode.EVENT_TOO_LARGE;
      const message = `frame of ${bytes} bytes exceeds the ${this.#c.maxEventBytes}-byte event limit`;
      // Name the event even when the frame did not parse, so its sender's promise settles.
      const msg = parsed.ok ? parsed.message : null;
      const id = !parsed.ok ? parsed.id : msg === null || msg.type === "hello" || msg.type === "applied" || msg.type === "events" ? undefined : msg.type === "event" ? msg.event.id : msg.id;
      return id === undefined ? this.#fail(code, message) : this.#reject(id, code, message);
    }
    if (!parsed.ok) return parsed.id === undefined ? this.#fail(parsed.code, parsed.message) : this.#reject(parsed.id, parsed.code, parsed.message);
    const msg = parsed.message;
    switch (msg.type) {
      case "hello":
        return this.#hello(msg);
      case "event":
        return this.#event(msg.event);
      case "aggregate":
        if (ws.data.clientId === null) return this.#send({ type: "reject", id: msg.id, code: ErrorCode.NOT_READY, message: "send hello before requests", retryable: false });
        return this.#aggregate(msg);
      case "dml":
        // Shorthand for an event of the reserved RAW_DML template.
        return this.#event({ id: msg.id, template: RAW_DML_TEMPLATE, params: { cypher: msg.cypher }, clientId: msg.clientId, timestamp: msg.timestamp });
      case "applied":
        if (ws.data.clientId === null) return this.#fail(ErrorCode.NOT_READY, "send hello before applied");
        return this.#c.activity.emit({ type: "progress", clientId: ws.data.clientId, seq: msg.seq });
    }
  }

  /** The send buffer drained: a paused catch-up goes on. */
  drain(): void {
    const resume = this.#ws.data.drained;
    this.#ws.data.drained = null;
    resume?.();
  }

  /** The socket closed (already out of the gateway's set). No timer or waiter may outlive it. */
  close(code: number): void {
    const ws = this.#ws;
    this.#c.fanOut.leave(ws);
    this.#c.guard.release(ws);
    ws.data.drained?.();
    if (ws.data.clientId !== null) {
      this.#c.activity.emit({ type: "disconnected", clientId: ws.data.clientId });
      this.#c.logger.info("client disconnected", { connId: ws.data.connId, clientId: ws.data.clientId, code });
    }
  }

  #hello(hello: HelloMessage): void {
    const ws = this.#ws;
    const { log, logger } = this.#c;
    if (ws.data.clientId !== null) return this.#fail(ErrorCode.BAD_MESSAGE, "hello was already received on this connection");
    const principal = ws.data.principal;
    if (principal !== null && hello.clientId !== principal.sub) {
      // Not recoverable on this connection: the client must use the id its token names.
      this.#fail(ErrorCode.FORBIDDEN, `hello clientId ${JSON.stringify(hello.clientId)} is not the token's subject ${JSON.stringify(principal.sub)}`);
      ws.close(CloseCode.POLICY_VIOLATION, "clientId does not match token");
      return;
    }
    this.#c.guard.helloReceived(ws);
    ws.data.clientId = hello.clientId;
    ws.data.state = "catching-up";
    this.#c.activity.emit({ type: "connected", clientId: hello.clientId, lastSeq: hello.lastSeq });
    if (hello.lastSeq > log.headSeq && this.#c.headLagWaitMs > 0) {
      void waitForHead(log, hello.lastSeq, this.#c.headLagWaitMs).then(() => {
        if (ws.readyState === 1) this.#welcome(hello);
      });
      return;
    }
    this.#welcome(hello);
  }

  /** The welcome, then catch-up (or the snapshot the client must take). */
  #welcome(hello: HelloMessage): void {
    const ws = this.#ws;
    const { log, logger } = this.#c;
    const snapshot = this.#c.snapshots?.offerFor(Math.min(hello.lastSeq, log.headSeq)) ?? null;
    const welcome: WelcomeMessage = {
      type: "welcome",
      serverId: this.#c.serverId,
      headSeq: log.headSeq,
      horizonSeq: log.horizonSeq,
      ...this.#c.registry.welcomeFor(hello),
      maxMessageBytes: this.#c.maxMessageBytes,
      maxEventsPerFrame: MAX_EVENTS_PER_FRAME,
      ...(snapshot === null ? {} : { snapshot }),
    };
    this.#send(welcome);
    logger.info("client connected", { connId: ws.data.connId, clientId: hello.clientId, lastSeq: hello.lastSeq, headSeq: log.headSeq, snapshot: snapshot?.required ?? null });
    if (snapshot?.required) {
      // The events after lastSeq are archived: the log alone cannot bring this replica up to date.
      this.#fail(ErrorCode.SNAPSHOT_REQUIRED, `events after seq ${hello.lastSeq} are archived (the log starts at ${log.horizonSeq}); bootstrap from ${snapshot.url}`);
      ws.close(CloseCode.SNAPSHOT_REQUIRED, "snapshot required");
      return;
    }
    this.#catchUp(Math.min(hello.lastSeq, log.headSeq)).catch((error) => {
      logger.error("catch-up failed", { connId: ws.data.connId, error: String(error) });
      ws.close(CloseCode.INTERNAL_ERROR, "catch-up failed");
    });
  }

  /** One event of an `event` frame (or a `dml` shorthand). */
  #event(event: ClientEvent): void {
    const checked = this.#check(event);
    if (checked !== null) this.#append([checked]);
  }

  /**
   * An `events` frame: every event is refused, checked and answered as if it had come alone
   * (`events-frame.ts`); those that pass are appended together, so they share a group commit.
   */
  #events(events: readonly ClientEvent[], refused: readonly RefusedEvent[], bytes: number): void {
    const { granted, refusal } = this.#c.guard.spendUpTo(this.#ws, events.length + refused.length);
    const items = eventsFrameItems(events, refused, { granted, refusal, frameBytes: bytes, maxEventBytes: this.#c.maxEventBytes });
    const accepted: ClientEvent[] = [];
    const nameless: FrameItem[] = [];
    for (const item of items) {
      if (item.kind === "event") {
        const checked = this.#check(item.event);
        if (checked !== null) accepted.push(checked);
      } else if (item.id === undefined) nameless.push(item);
      else this.#reject(item.id, item.code, item.message, item.quiet);
    }
    // Events without a usable id cannot be rejected one by one: one error names them all.
    const first = nameless[0];
    if (first !== undefined && first.kind === "refused") {
      const which = nameless.map((n) => (n.kind === "refused" ? n.index : -1));
      this.#fail(first.code, nameless.length === 1 ? first.message : `${nameless.length} events without a usable id (at ${which.slice(0, 10).join(", ")}${which.length > 10 ? ", …" : ""}); the first: ${first.message}`, first.quiet);
    }
    if (accepted.length > 0) this.#append(accepted);
  }

  /** The per-event checks; null when the event was refused (and answered). */
  #check(event: ClientEvent): ClientEvent | null {
    const ws = this.#ws;
    const { logger } = this.#c;
    const checked = checkEvent(event, ws.data, this.#c.registry.current, this.#c.allowRawDml);
    if (!checked.ok) {
      this.#reject(event.id, checked.code, checked.message);
      return null;
    }
    this.#c.activity.emit({ type: "accepted", template: event.template, clientId: event.clientId });
    if (logger.isEnabled("debug")) {
      logger.debug("event received", { eventId: event.id, template: event.template, clientId: event.clientId, connId: ws.data.connId, traceparent: event.traceparent });
    }
    return checked.event;
  }

  /** Append checked events in one call (one group commit) and answer each with its own ack. */
  #append(events: readonly ClientEvent[]): void {
    const ws = this.#ws;
    const { logger } = this.#c;
    const started = performance.now();
    this.#c.log.append(events).then(
      (outcomes) => {
        const latencyMs = performance.now() - started;
        for (const [i, event] of events.entries()) {
          const outcome = outcomes[i]!;
          this.#c.activity.emit({ type: "acked", latencyMs, duplicate: outcome.duplicate });
          if (outcome.duplicate && logger.isEnabled("debug")) {
            logger.debug("duplicate event acked with its original seq", { eventId: event.id, seq: outcome.seq, template: event.template, clientId: event.clientId, traceparent: event.traceparent });
          }
          this.#c.replies.queue(ws, encodeServerMessage({ type: "ack", id: event.id, seq: outcome.seq, duplicate: outcome.duplicate }));
        }
      },
      (error: unknown) => {
        const code = error instanceof SyncError ? error.code : ErrorCode.INTERNAL;
        const message = error instanceof Error ? error.message : "append failed";
        logger.error("append failed", { eventIds: events.length <= 10 ? events.map((e) => e.id) : `${events.length} events`, code, error: String(error) });
        for (const event of events) this.#reject(event.id, code, message);
      },
    );
  }

  /** Answer an aggregate read, reflecting every write this gateway acknowledged (EventLog.readYourWrites). */
  #aggregate(request: AggregateRequest): void {
    const answer = (): void => {
      if (this.#ws.readyState !== 1) return;
      this.#c.activity.emit({ type: "aggregate-read", via: "socket" });
      this.#send(aggregateAnswer(request, this.#c.log.aggregates, this.#c.log.headSeq));
    };
    const pending = this.#c.log.readYourWrites?.();
    if (pending === undefined) return answer();
    void pending.then(answer);
  }

  /** Pages from the log after `fromSeq`, then the fan-out. */
  async #catchUp(fromSeq: number): Promise<void> {
    const ws = this.#ws;
    const cursor = new LogCursor(this.#c.log, fromSeq);
    while (ws.readyState === 1) {
      let page: SequencedEvent[];
      try {
        page = await cursor.next(this.#c.pageSize);
      } catch (error) {
        if (!(error instanceof LogCursorError)) throw error;
        if (ws.readyState !== 1) return;
        this.#fail(error.code, error.message);
        if (error.code === ErrorCode.SNAPSHOT_REQUIRED) ws.close(CloseCode.SNAPSHOT_REQUIRED, "snapshot required");
        else ws.close(CloseCode.INTERNAL_ERROR, "catch-up failed");
        return;
      }
      if (ws.readyState !== 1) return;
      if (page.length > 0) {
        this.#send({ type: "events", events: page });
        this.#c.activity.emit({ type: "delivered", events: page, recipients: [ws.data.clientId], live: false });
      }
      // Go live only with a drained buffer: a big last page still queued would count against
      // the slow-consumer limit the moment the socket joins the fan-out.
      if (ws.getBufferedAmount() > this.#c.catchUpHighWater) {
        await new Promise<void>((r) => (ws.data.drained = r));
        continue;
      }
      // No await between this check and subscribe(): commits (and their publish) happen on this
      // thread, so every seq > cursor.position is published after the socket joined the topic.
      if (cursor.caughtUp) {
        this.#c.fanOut.join(ws);
        ws.data.state = "live";
        this.#send({ type: "live", seq: cursor.position });
        return;
      }
    }
  }

  #send(message: ServerMessage | WelcomeMessage): void {
    this.#c.write(this.#ws, encodeServerMessage(message));
  }

  /** Refuse one event or request (by id). `quiet`: counted, not logged (a flood must not become a log flood). */
  #reject(id: string, code: ErrorCode, message: string, quiet = false): void {
    const ws = this.#ws;
    this.#c.activity.emit({ type: "rejected", code });
    if (!quiet) this.#c.logger.info("event rejected", { connId: ws.data.connId, clientId: ws.data.clientId, eventId: id, code, reason: message });
    this.#send({ type: "reject", id, code, message, retryable: isRetryable(code) });
  }

  /** Refuse a frame that names no event. */
  #fail(code: ErrorCode, message: string, quiet = false): void {
    const ws = this.#ws;
    this.#c.activity.emit({ type: "rejected", code });
    if (!quiet) this.#c.logger.info("bad frame", { connId: ws.data.connId, clientId: ws.data.clientId, code, reason: message });
    this.#send({ type: "error", code, message });
  }
}

/** Resolves once the log's head reaches `seq`, or after `ms` (whichever comes first). */
function waitForHead(log: EventLog, seq: number, ms: number): Promise<void> {
  if (log.headSeq >= seq) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unsubscribe = log.onCommit(() => {
      if (log.headSeq >= seq) done();
    });
  });
}
