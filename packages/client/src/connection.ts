/**
 * The client's link to the gateway: drives the state machine of connection-state.ts with what the
 * socket, `getToken()` and the backoff timer report, and carries out its effects. What a welcome,
 * an event page or an ack means for the replica and the outbox is the client's business: it gets
 * the parsed frames and the effects that concern it through {@link ConnectionHandlers}.
 * @module
 */
import { ErrorCode, SyncError, encodeClientMessage, parseServerMessage, type ClientMessage, type ServerMessage, type SnapshotOffer, type WelcomeMessage } from "@kuzu-sync/protocol";
import { backoffDelay, type BackoffOptions } from "./backoff.ts";
import { fatalClose, refusedUpgrade } from "./close-reasons.ts";
import { INITIAL_STATE, transition, type ConnectionContext, type ConnectionEffect, type ConnectionEvent, type ConnectionState } from "./connection-state.ts";
import { fetchToken } from "./token-source.ts";
import { openSocket } from "#open-socket";

export interface ConnectionOptions {
  /** The gateway's WebSocket URL. */
  readonly url: string;
  readonly context: ConnectionContext;
  readonly token?: string;
  readonly getToken?: () => string | Promise<string>;
  readonly backoff?: BackoffOptions;
}

/** What the connection hands to the client. Called synchronously, in the order things happen. */
export interface ConnectionHandlers {
  /** The `hello` to send when a socket opens (it carries the replica's position). */
  hello(): ClientMessage;
  /** A frame of the current connection (frames of a replaced one are dropped). */
  message(message: ServerMessage, socket: WebSocket): void;
  /** The handshake is done (the connection is `connected`). */
  handshake(welcome: WelcomeMessage): void;
  /** The connection that offered a snapshot has closed: rebuild the replica, then report `bootstrap-done` or `-failed`. */
  bootstrap(offer: SnapshotOffer, token: string | undefined): void;
  disconnected(code: number, reason: string): void;
  /** Something to log and emit as `error`. */
  report(error: SyncError): void;
  /** Pending `connect()` calls must fail with this error (a refusal, or autoReconnect off). */
  giveUp(error: unknown): void;
}

/**
 * @example
 * const connection = new Connection({ url, context }, handlers);
 * connection.dispatch({ type: "connect" }); // dials; handlers.handshake() once welcomed
 * connection.send({ type: "event", event }); // a no-op until the handshake is done
 */
export class Connection {
  readonly #options: ConnectionOptions;
  readonly #handlers: ConnectionHandlers;
  #state: ConnectionState<WebSocket> = INITIAL_STATE;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: ConnectionOptions, handlers: ConnectionHandlers) {
    this.#options = options;
    this.#handlers = handlers;
  }

  get state(): ConnectionState<WebSocket> {
    return this.#state;
  }

  /** The socket of a connection whose handshake is done and which is still open. */
  get liveSocket(): WebSocket | null {
    const state = this.#state;
    return state.kind === "connected" && state.socket.readyState === WebSocket.OPEN ? state.socket : null;
  }

  /** Send on the live connection; nothing when there is none (the outbox resends events on the next one). */
  send(message: ClientMessage): void {
    this.liveSocket?.send(encodeClientMessage(message));
  }

  /** Send frames already encoded (see event-frames.ts) on the live connection; nothing when there is none. */
  sendFrames(frames: readonly string[]): void {
    const socket = this.liveSocket;
    if (socket === null) return;
    for (const frame of frames) socket.send(frame);
  }

  /** Feed one event to the state machine and carry out what it decides. */
  dispatch(event: ConnectionEvent<WebSocket>): void {
    const { state, effects } = transition(this.#state, event, this.#options.context);
    this.#state = state;
    for (const effect of effects) this.#run(effect);
  }

  #run(effect: ConnectionEffect<WebSocket>): void {
    const h = this.#handlers;
    switch (effect.type) {
      case "dial":
        return this.#dial();
      case "open-socket":
        return this.#openSocket(effect.token);
      case "close-socket":
        return effect.socket.close(effect.code, effect.reason);
      case "retry-later":
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = null;
          this.dispatch({ type: "retry" });
        }, backoffDelay(effect.attempt, this.#options.backoff));
        return;
      case "cancel-retry":
        if (this.#retryTimer) clearTimeout(this.#retryTimer);
        this.#retryTimer = null;
        return;
      case "disconnected":
        return h.disconnected(effect.code, effect.reason);
      case "handshake":
        return h.handshake(effect.welcome);
      case "bootstrap":
        return h.bootstrap(effect.offer, effect.token);
      case "report":
        return h.report(effect.error);
      case "give-up":
        return h.giveUp(effect.error);
    }
  }

  #dial(): void {
    const source = this.#options.getToken;
    if (source === undefined) return this.dispatch({ type: "token", token: this.#options.token });
    // A fresh token for every attempt: after a 4001 (expired) close this is what renews it.
    fetchToken(source)
      .then(
        (token) => this.dispatch({ type: "token", token }),
        (error: SyncError) => this.dispatch({ type: "token-failed", error }),
      )
      .catch((cause: unknown) => this.#handlers.report(new SyncError(ErrorCode.INTERNAL, String(cause), { cause })));
  }

  #openSocket(token: string | undefined): void {
    const url = this.#options.url;
    let ws: WebSocket;
    try {
      ws = openSocket(url, token);
    } catch (error) {
      return this.dispatch({ type: "socket-failed", error });
    }
    let opened = false;
    let failure = "";
    ws.onopen = () => {
      opened = true;
      ws.send(encodeClientMessage(this.#handlers.hello()));
    };
    ws.onmessage = (m) => this.#onFrame(ws, m.data as string);
    ws.onclose = (e) => {
      const fatal = opened ? fatalClose(e.code, e.reason) : refusedUpgrade(failure, this.#options.context.url);
      this.dispatch({ type: "socket-closed", socket: ws, code: e.code, reason: e.reason, fatal });
    };
    ws.onerror = (e) => {
      // onclose follows and decides; Bun's message names the HTTP status of a refused upgrade.
      failure = (e as ErrorEvent).message ?? "";
    };
    this.dispatch({ type: "socket", socket: ws, token });
  }

  #onFrame(socket: WebSocket, frame: string): void {
    const state = this.#state;
    if (!("socket" in state) || state.socket !== socket) return; // a connection already replaced or closed
    const parsed = parseServerMessage(frame);
    if (!parsed.ok) return this.#handlers.report(new SyncError(parsed.code, `bad frame from server: ${parsed.message}`));
    const msg = parsed.message;
    // Bootstrapping: whatever else this connection still delivers is superseded by the snapshot.
    if (state.kind === "bootstrapping" && (msg.type === "events" || msg.type === "live" || msg.type === "error")) return;
    this.#handlers.message(msg, socket);
  }
}
