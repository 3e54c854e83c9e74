/**
 * The client's connection as a state machine: one discriminated union for where the connection
 * is, and one pure {@link transition} from (state, event) to the next state plus the effects the
 * client must carry out. No sockets, timers or promises here, so every path is unit-tested without
 * a network (connection-state.test.ts); `connection.ts` owns the socket and the timer, runs the
 * effects and feeds back what happened as events. A new way for the connection to change (a
 * pause, a registry upgrade) is a new event or state here, with its test, before any socket code.
 *
 * | state | event | next state | effects |
 * | --- | --- | --- | --- |
 * | idle / backoff | connect | dialing | dial |
 * | backoff | retry | dialing | dial |
 * | dialing | token | dialing | open-socket |
 * | dialing | socket | opening | (hello is sent when it opens) |
 * | dialing | token-failed | backoff | retry-later, report |
 * | opening | welcome | connected | handshake |
 * | opening | welcome with a snapshot to use | bootstrapping | close-socket |
 * | opening / connected | socket-closed | backoff (idle without autoReconnect) | retry-later, disconnected |
 * | any with a socket | socket-closed, fatal (401/403, 1008) | idle | disconnected, report, give-up |
 * | connected | drop (with `attempt`: the replica stopped applying) | connected until the socket closes, then backoff from `attempt` | close-socket |
 * | connected | rebuild (the replica diverged) | bootstrapping | close-socket |
 * | bootstrapping | socket-closed | bootstrapping (no socket) | disconnected, bootstrap |
 * | bootstrapping | bootstrap-done / -failed | dialing (attempt 0) / backoff | dial / retry-later, report |
 * | any | close | closed | cancel-retry, close-socket |
 * @module
 */
import { ErrorCode, SyncError, type SnapshotOffer, type WelcomeMessage } from "@kuzu-sync/protocol";

/**
 * Where the connection is. `S` is the socket type (a WebSocket in the client, any token in
 * tests). `attempt` counts the failed attempts since the last handshake and sets the next backoff.
 */
export type ConnectionState<S> =
  /** Not trying: before `connect()`, after a refusal retrying cannot fix, or with autoReconnect off. */
  | { readonly kind: "idle"; readonly attempt: number }
  /** Getting a token (`getToken()`) before opening a socket. */
  | { readonly kind: "dialing"; readonly attempt: number }
  /** Socket open or opening, `hello` sent when it opens; waiting for `welcome`. */
  | { readonly kind: "opening"; readonly attempt: number; readonly socket: S; readonly token: string | undefined }
  /**
   * Handshake done: events flow both ways. `attempt` is set when the client dropped the connection
   * because its replica stopped applying: the next backoff counts from it, so a replica that keeps
   * stopping reconnects ever more slowly instead of hammering the gateway.
   */
  | { readonly kind: "connected"; readonly socket: S; readonly token: string | undefined; readonly attempt?: number }
  /**
   * The welcome pointed at a snapshot: the socket is closing (`socket` until it has closed, then
   * null), then the replica is rebuilt from the snapshot and the client dials again.
   */
  | {
      readonly kind: "bootstrapping";
      readonly attempt: number;
      readonly socket: S | null;
      readonly token: string | undefined;
      readonly offer: SnapshotOffer;
    }
  /** Waiting out the backoff delay before the next attempt. */
  | { readonly kind: "backoff"; readonly attempt: number }
  /** `close()` was called; nothing happens any more. */
  | { readonly kind: "closed" };

/** What happened: calls on the client, answers of `getToken()`, the socket, the timer, the bootstrap. */
export type ConnectionEvent<S> =
  /** `connect()` wants a connection now (its replica is open). */
  | { readonly type: "connect" }
  /** The backoff delay is over. */
  | { readonly type: "retry" }
  /** The token for this attempt (undefined without authentication). */
  | { readonly type: "token"; readonly token: string | undefined }
  /** `getToken()` failed or gave no token. */
  | { readonly type: "token-failed"; readonly error: SyncError }
  /** A socket was created for this attempt. */
  | { readonly type: "socket"; readonly socket: S; readonly token: string | undefined }
  /** No socket could be created (an invalid URL). */
  | { readonly type: "socket-failed"; readonly error: unknown }
  /** The server's `welcome` on `socket`; `appliedSeq` is the local replica's position. */
  | { readonly type: "welcome"; readonly socket: S; readonly welcome: WelcomeMessage; readonly appliedSeq: number }
  /** `socket` closed; `fatal` when retrying unchanged cannot help (see close-reasons.ts). */
  | { readonly type: "socket-closed"; readonly socket: S; readonly code: number; readonly reason: string; readonly fatal: SyncError | null }
  /**
   * The client drops the current connection (e.g. after a gap: reconnect and resume). `attempt`:
   * back off as after that many failed attempts (its replica keeps stopping; 0 or absent: at once).
   */
  | { readonly type: "drop"; readonly code: number; readonly reason: string; readonly attempt?: number }
  /** The replica differs from the server's (verify): rebuild it from this snapshot, then connect again. */
  | { readonly type: "rebuild"; readonly offer: SnapshotOffer }
  /** The replica was rebuilt from the snapshot. */
  | { readonly type: "bootstrap-done" }
  /** Rebuilding from the snapshot failed; the old replica is kept. */
  | { readonly type: "bootstrap-failed"; readonly error: SyncError }
  /** `close()`. */
  | { readonly type: "close" };

/**
 * What the client must do, in order. Effects that reach application code (listeners, promises)
 * come after the client's own, so a listener that calls `close()` finds everything in place.
 */
export type ConnectionEffect<S> =
  /** Get a token (`getToken()`, else `options.token`) and report `token` / `token-failed`. */
  | { readonly type: "dial" }
  /** Create a socket with this token and report `socket` / `socket-failed`. */
  | { readonly type: "open-socket"; readonly token: string | undefined }
  | { readonly type: "close-socket"; readonly socket: S; readonly code: number; readonly reason: string }
  /** Report `retry` after the backoff delay of `attempt` (0-based). */
  | { readonly type: "retry-later"; readonly attempt: number }
  | { readonly type: "cancel-retry" }
  /** The connection is gone: fail what awaited an answer on it, emit `disconnected`. */
  | { readonly type: "disconnected"; readonly code: number; readonly reason: string }
  /** Handshake done: install the registry, emit `connected`, resend the outbox. */
  | { readonly type: "handshake"; readonly welcome: WelcomeMessage }
  /** Rebuild the replica from the snapshot (after the events already received are applied). */
  | { readonly type: "bootstrap"; readonly offer: SnapshotOffer; readonly token: string | undefined }
  /** Log the error and emit it as `error`. */
  | { readonly type: "report"; readonly error: SyncError }
  /** Reject the pending `connect()` calls with this error. */
  | { readonly type: "give-up"; readonly error: unknown };

/** The client's options the machine needs; fixed for the client's life. */
export interface ConnectionContext {
  /** The gateway URL for messages (without its query string, which may carry a token). */
  readonly url: string;
  readonly autoReconnect: boolean;
  readonly useSnapshots: boolean;
}

export interface Transition<S> {
  readonly state: ConnectionState<S>;
  readonly effects: readonly ConnectionEffect<S>[];
}

/** Where a new client starts. */
export const INITIAL_STATE: ConnectionState<never> = Object.freeze({ kind: "idle", attempt: 0 });

/**
 * The next state and the effects to run. Pure: same input, same output; events that do not apply
 * to the current state (a late token after `close()`, a close of a socket already replaced) leave
 * it unchanged with no effects.
 * @example
 * let state: ConnectionState<WebSocket> = INITIAL_STATE;
 * const t = transition(state, { type: "connect" }, { url, autoReconnect: true, useSnapshots: true });
 * state = t.state; // { kind: "dialing", attempt: 0 }
 * for (const effect of t.effects) run(effect); // [{ type: "dial" }]
 */
export function transition<S>(state: ConnectionState<S>, event: ConnectionEvent<S>, ctx: ConnectionContext): Transition<S> {
  if (state.kind === "closed") {
    // A socket created for an attempt that close() overtook is closed at once.
    if (event.type === "socket") return { state, effects: [{ type: "close-socket", socket: event.socket, code: 1000, reason: "client closed" }] };
    return unchanged(state);
  }
  switch (event.type) {
    case "connect":
      if (state.kind === "idle") return { state: { kind: "dialing", attempt: state.attempt }, effects: [{ type: "dial" }] };
      if (state.kind === "backoff") return { state: { kind: "dialing", attempt: state.attempt }, effects: [{ type: "cancel-retry" }, { type: "dial" }] };
      return unchanged(state);
    case "retry":
      if (state.kind !== "backoff") return unchanged(state);
      return { state: { kind: "dialing", attempt: state.attempt }, effects: [{ type: "dial" }] };
    case "token":
      if (state.kind !== "dialing") return unchanged(state);
      return { state, effects: [{ type: "open-socket", token: event.token }] };
    case "token-failed":
      if (state.kind !== "dialing") return unchanged(state);
      return lost(state.attempt, ctx, [{ type: "report", error: event.error }]);
    case "socket":
      if (state.kind !== "dialing") return { state, effects: [{ type: "close-socket", socket: event.socket, code: 1000, reason: "superseded" }] };
      return { state: { kind: "opening", attempt: state.attempt, socket: event.socket, token: event.token }, effects: [] };
    case "socket-failed":
      if (state.kind !== "dialing") return unchanged(state);
      return { state: { kind: "idle", attempt: state.attempt }, effects: [{ type: "give-up", error: event.error }] };
    case "welcome":
      return welcome(state, event, ctx);
    case "socket-closed":
      return socketClosed(state, event, ctx);
    case "drop": {
      const socket = socketOf(state);
      if (socket === null) return unchanged(state);
      const next = state.kind === "connected" && event.attempt !== undefined ? { ...state, attempt: event.attempt } : state;
      return { state: next, effects: [{ type: "close-socket", socket, code: event.code, reason: event.reason }] };
    }
    case "rebuild":
      if (state.kind !== "connected") return unchanged(state);
      return {
        state: { kind: "bootstrapping", attempt: 0, socket: state.socket, token: state.token, offer: event.offer },
        effects: [{ type: "close-socket", socket: state.socket, code: 1000, reason: "rebuilding from snapshot" }],
      };
    case "bootstrap-done":
      if (state.kind !== "bootstrapping") return unchanged(state);
      return { state: { kind: "dialing", attempt: 0 }, effects: [{ type: "dial" }] };
    case "bootstrap-failed":
      if (state.kind !== "bootstrapping") return unchanged(state);
      return lost(state.attempt, ctx, [{ type: "report", error: event.error }]);
    case "close": {
      const socket = socketOf(state);
      const effects: ConnectionEffect<S>[] = [];
      if (state.kind === "backoff") effects.push({ type: "cancel-retry" });
      if (socket !== null) effects.push({ type: "close-socket", socket, code: 1000, reason: "client closed" });
      return { state: { kind: "closed" }, effects };
    }
  }
}

/** The socket of the current connection, if there is one. */
export function socketOf<S>(state: ConnectionState<S>): S | null {
  switch (state.kind) {
    case "opening":
    case "connected":
    case "bootstrapping":
      return state.socket;
    default:
      return null;
  }
}

/**
 * Whether the welcome's snapshot should be used: always when required (history archived), else
 * when snapshots are on and it is ahead of the replica.
 * @example useSnapshot({ seq: 900, url: "/snapshot", required: false }, 0, true) // true
 */
export function useSnapshot(offer: SnapshotOffer | undefined, appliedSeq: number, useSnapshots: boolean): offer is SnapshotOffer {
  return offer !== undefined && (offer.required || (useSnapshots && offer.seq > appliedSeq));
}

function welcome<S>(state: ConnectionState<S>, event: Extract<ConnectionEvent<S>, { type: "welcome" }>, ctx: ConnectionContext): Transition<S> {
  if (state.kind !== "opening" || state.socket !== event.socket) return unchanged(state);
  const offer = event.welcome.snapshot;
  if (useSnapshot(offer, event.appliedSeq, ctx.useSnapshots)) {
    // Build the replica from the snapshot once this connection has closed, then say hello again from its seq.
    return {
      state: { kind: "bootstrapping", attempt: state.attempt, socket: state.socket, token: state.token, offer },
      effects: [{ type: "close-socket", socket: state.socket, code: 1000, reason: "bootstrapping from snapshot" }],
    };
  }
  return { state: { kind: "connected", socket: state.socket, token: state.token }, effects: [{ type: "handshake", welcome: event.welcome }] };
}

function socketClosed<S>(state: ConnectionState<S>, event: Extract<ConnectionEvent<S>, { type: "socket-closed" }>, ctx: ConnectionContext): Transition<S> {
  // A socket that is no longer the current one (replaced, or closed by close()) decides nothing.
  if (socketOf(state) !== event.socket) return unchanged(state);
  const disconnected: ConnectionEffect<S> = { type: "disconnected", code: event.code, reason: event.reason };
  const attempt = ("attempt" in state ? state.attempt : undefined) ?? 0;
  if (event.fatal !== null) {
    return { state: { kind: "idle", attempt }, effects: [disconnected, { type: "report", error: event.fatal }, { type: "give-up", error: event.fatal }] };
  }
  if (state.kind === "bootstrapping") {
    return { state: { ...state, socket: null }, effects: [disconnected, { type: "bootstrap", offer: state.offer, token: state.token }] };
  }
  return lost(attempt, ctx, [disconnected]);
}

/**
 * An attempt or a connection ended: try again after the backoff delay, or (autoReconnect off)
 * stop and let pending `connect()` calls fail. `notify` are effects that reach application code.
 */
function lost<S>(attempt: number, ctx: ConnectionContext, notify: readonly ConnectionEffect<S>[]): Transition<S> {
  if (!ctx.autoReconnect) {
    const error = new SyncError(ErrorCode.CLOSED, `connection to ${ctx.url} closed`);
    return { state: { kind: "idle", attempt }, effects: [...notify, { type: "give-up", error }] };
  }
  return { state: { kind: "backoff", attempt: attempt + 1 }, effects: [{ type: "retry-later", attempt }, ...notify] };
}

function unchanged<S>(state: ConnectionState<S>): Transition<S> {
  return { state, effects: [] };
}
