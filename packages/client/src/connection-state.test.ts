import { describe, expect, test } from "bun:test";
import { ErrorCode, SyncError, type SnapshotOffer, type WelcomeMessage } from "@kuzu-sync/protocol";
import {
  INITIAL_STATE,
  socketOf,
  transition,
  useSnapshot,
  type ConnectionContext,
  type ConnectionEvent,
  type ConnectionState,
  type Transition,
} from "./connection-state.ts";

// Sockets are plain tokens here: the machine only compares them.
type S = string;
const ctx: ConnectionContext = { url: "ws://gw:8080", autoReconnect: true, useSnapshots: true };

const welcome = (snapshot?: SnapshotOffer): WelcomeMessage => ({
  type: "welcome",
  serverId: "gw-1",
  headSeq: 10,
  horizonSeq: 1,
  registry: { hash: "h", schema: [], templates: [] } as unknown as WelcomeMessage["registry"],
  maxMessageBytes: 1 << 20,
  ...(snapshot ? { snapshot } : {}),
});

/** Run events from `state`, returning every step's transition. */
function run(state: ConnectionState<S>, events: ConnectionEvent<S>[], c: ConnectionContext = ctx): Transition<S>[] {
  const steps: Transition<S>[] = [];
  for (const event of events) {
    const t = transition(Object.freeze(state), event, c);
    steps.push(t);
    state = t.state;
  }
  return steps;
}
const last = (steps: Transition<S>[]) => steps[steps.length - 1]!;
const connectedOn = (socket: S): ConnectionEvent<S>[] => [
  { type: "connect" },
  { type: "token", token: "t" },
  { type: "socket", socket, token: "t" },
  { type: "welcome", socket, welcome: welcome(), appliedSeq: 0 },
];
const closed = (socket: S, fatal: SyncError | null = null): ConnectionEvent<S> => ({ type: "socket-closed", socket, code: 1006, reason: "", fatal });

describe("connection state machine", () => {
  test("connect: dial, get a token, open a socket, handshake", () => {
    const steps = run(INITIAL_STATE, connectedOn("a"));
    expect(steps.map((s) => s.state.kind)).toEqual(["dialing", "dialing", "opening", "connected"]);
    expect(steps.map((s) => s.effects.map((e) => e.type))).toEqual([["dial"], ["open-socket"], [], ["handshake"]]);
    expect(steps[1]!.effects[0]).toEqual({ type: "open-socket", token: "t" });
    expect(last(steps).state).toEqual({ kind: "connected", socket: "a", token: "t" });
  });

  test("a lost connection backs off with a growing attempt count, reset by the next handshake", () => {
    const steps = run(INITIAL_STATE, [
      ...connectedOn("a"),
      closed("a"),
      { type: "retry" },
      { type: "token", token: undefined },
      { type: "socket", socket: "b", token: undefined },
      closed("b"), // refused: still no handshake
      { type: "retry" },
      { type: "token", token: undefined },
      { type: "socket", socket: "c", token: undefined },
      { type: "welcome", socket: "c", welcome: welcome(), appliedSeq: 0 },
      closed("c"),
    ]);
    expect(steps[4]).toEqual({ state: { kind: "backoff", attempt: 1 }, effects: [{ type: "retry-later", attempt: 0 }, { type: "disconnected", code: 1006, reason: "" }] });
    expect(steps[5]).toEqual({ state: { kind: "dialing", attempt: 1 }, effects: [{ type: "dial" }] });
    expect(steps[8]!.state).toEqual({ kind: "backoff", attempt: 2 });
    expect(steps[8]!.effects[0]).toEqual({ type: "retry-later", attempt: 1 });
    expect(last(steps).state).toEqual({ kind: "backoff", attempt: 1 });
    expect(last(steps).effects[0]).toEqual({ type: "retry-later", attempt: 0 });
  });

  test("connect() during the backoff dials at once; during an attempt or a connection it changes nothing", () => {
    const backoff: ConnectionState<S> = { kind: "backoff", attempt: 3 };
    expect(transition(backoff, { type: "connect" }, ctx)).toEqual({ state: { kind: "dialing", attempt: 3 }, effects: [{ type: "cancel-retry" }, { type: "dial" }] });
    const busy: ConnectionState<S>[] = [
      { kind: "dialing", attempt: 0 },
      { kind: "opening", attempt: 0, socket: "a", token: undefined },
      { kind: "connected", socket: "a", token: undefined },
      { kind: "bootstrapping", attempt: 0, socket: null, token: undefined, offer: { seq: 5, url: "/snapshot", required: true } },
    ];
    for (const state of busy) expect(transition(state, { type: "connect" }, ctx)).toEqual({ state, effects: [] });
  });

  test("a refusal retrying cannot fix (401/403 upgrade, 1008) stops reconnecting; connect() starts again", () => {
    const refusal = new SyncError(ErrorCode.UNAUTHORIZED, "refused the token (HTTP 401)");
    const steps = run(INITIAL_STATE, [{ type: "connect" }, { type: "token", token: "bad" }, { type: "socket", socket: "a", token: "bad" }, closed("a", refusal), { type: "connect" }]);
    expect(steps[3]).toEqual({
      state: { kind: "idle", attempt: 0 },
      effects: [{ type: "disconnected", code: 1006, reason: "" }, { type: "report", error: refusal }, { type: "give-up", error: refusal }],
    });
    expect(last(steps)).toEqual({ state: { kind: "dialing", attempt: 0 }, effects: [{ type: "dial" }] });
  });

  test("without autoReconnect a lost connection fails pending connect() calls with CLOSED", () => {
    const off = { ...ctx, autoReconnect: false };
    const t = last(run(INITIAL_STATE, [...connectedOn("a"), closed("a")], off));
    expect(t.state).toEqual({ kind: "idle", attempt: 0 });
    expect(t.effects.map((e) => e.type)).toEqual(["disconnected", "give-up"]);
    const error = (t.effects[1] as { error: SyncError }).error;
    expect(error.code).toBe(ErrorCode.CLOSED);
    expect(error.message).toBe("connection to ws://gw:8080 closed");
  });

  test("getToken() failing is reported and retried with backoff", () => {
    const error = new SyncError(ErrorCode.UNAUTHORIZED, "getToken() failed: offline");
    const t = last(run(INITIAL_STATE, [{ type: "connect" }, { type: "token-failed", error }]));
    expect(t).toEqual({ state: { kind: "backoff", attempt: 1 }, effects: [{ type: "retry-later", attempt: 0 }, { type: "report", error }] });
  });

  test("a socket that cannot be created (invalid URL) fails connect() without retrying", () => {
    const error = new SyntaxError("Invalid url");
    expect(last(run(INITIAL_STATE, [{ type: "connect" }, { type: "token", token: undefined }, { type: "socket-failed", error }]))).toEqual({
      state: { kind: "idle", attempt: 0 },
      effects: [{ type: "give-up", error }],
    });
  });

  test("a snapshot to use: close the socket, bootstrap once it has closed, then dial again from attempt 0", () => {
    const offer: SnapshotOffer = { seq: 900, url: "/snapshot", required: false };
    const steps = run({ kind: "opening", attempt: 2, socket: "a", token: "t" }, [
      { type: "welcome", socket: "a", welcome: welcome(offer), appliedSeq: 0 },
      closed("a"),
      { type: "bootstrap-done" },
    ]);
    expect(steps[0]).toEqual({
      state: { kind: "bootstrapping", attempt: 2, socket: "a", token: "t", offer },
      effects: [{ type: "close-socket", socket: "a", code: 1000, reason: "bootstrapping from snapshot" }],
    });
    expect(steps[1]).toEqual({
      state: { kind: "bootstrapping", attempt: 2, socket: null, token: "t", offer },
      effects: [{ type: "disconnected", code: 1006, reason: "" }, { type: "bootstrap", offer, token: "t" }],
    });
    expect(steps[2]).toEqual({ state: { kind: "dialing", attempt: 0 }, effects: [{ type: "dial" }] });
  });

  test("a failed bootstrap is reported and retried with backoff (the old replica stays)", () => {
    const offer: SnapshotOffer = { seq: 900, url: "/snapshot", required: true };
    const error = new SyncError(ErrorCode.INTERNAL, "snapshot bootstrap failed: disk full");
    const t = transition<S>({ kind: "bootstrapping", attempt: 1, socket: null, token: undefined, offer }, { type: "bootstrap-failed", error }, ctx);
    expect(t).toEqual({ state: { kind: "backoff", attempt: 2 }, effects: [{ type: "retry-later", attempt: 1 }, { type: "report", error }] });
  });

  test("which snapshot offers are used", () => {
    expect(useSnapshot(undefined, 0, true)).toBe(false);
    expect(useSnapshot({ seq: 900, url: "/s", required: false }, 0, true)).toBe(true);
    expect(useSnapshot({ seq: 900, url: "/s", required: false }, 0, false)).toBe(false); // useSnapshots: false
    expect(useSnapshot({ seq: 900, url: "/s", required: false }, 900, true)).toBe(false); // not ahead of the replica
    expect(useSnapshot({ seq: 900, url: "/s", required: true }, 5_000, false)).toBe(true); // history archived: always
    const noSnapshots = { ...ctx, useSnapshots: false };
    const offered = transition<S>({ kind: "opening", attempt: 0, socket: "a", token: undefined }, { type: "welcome", socket: "a", welcome: welcome({ seq: 900, url: "/s", required: false }), appliedSeq: 0 }, noSnapshots);
    expect(offered.state.kind).toBe("connected");
  });

  test("events of a replaced or unknown socket decide nothing", () => {
    const state: ConnectionState<S> = { kind: "connected", socket: "b", token: undefined };
    expect(transition(state, closed("a"), ctx)).toEqual({ state, effects: [] });
    expect(transition(state, { type: "welcome", socket: "a", welcome: welcome(), appliedSeq: 0 }, ctx)).toEqual({ state, effects: [] });
    const backoff: ConnectionState<S> = { kind: "backoff", attempt: 1 };
    for (const event of [closed("a"), { type: "token", token: "t" }, { type: "bootstrap-done" }, { type: "drop", code: 4009, reason: "resync" }] as ConnectionEvent<S>[]) {
      expect(transition(backoff, event, ctx)).toEqual({ state: backoff, effects: [] });
    }
  });

  test("drop closes the current socket; the close that follows decides what next", () => {
    const state: ConnectionState<S> = { kind: "connected", socket: "a", token: undefined };
    expect(transition(state, { type: "drop", code: 4009, reason: "resync" }, ctx)).toEqual({ state, effects: [{ type: "close-socket", socket: "a", code: 4009, reason: "resync" }] });
  });

  test("a drop with an attempt (the replica stopped applying) backs off from that attempt when the socket has closed", () => {
    const state: ConnectionState<S> = { kind: "connected", socket: "a", token: undefined };
    const steps = run(state, [{ type: "drop", code: 4100, reason: "resync", attempt: 4 }, closed("a"), { type: "retry" }]);
    expect(steps[0]).toEqual({ state: { ...state, attempt: 4 }, effects: [{ type: "close-socket", socket: "a", code: 4100, reason: "resync" }] });
    expect(steps[1]!.state).toEqual({ kind: "backoff", attempt: 5 });
    expect(steps[1]!.effects[0]).toEqual({ type: "retry-later", attempt: 4 });
    expect(steps[2]!.state).toEqual({ kind: "dialing", attempt: 5 });
  });

  test("rebuild (the replica diverged) closes the connection and bootstraps from the given snapshot, then dials again", () => {
    const offer: SnapshotOffer = { seq: 40, url: "/snapshot", required: true };
    const state: ConnectionState<S> = { kind: "connected", socket: "a", token: "t" };
    const steps = run(state, [{ type: "rebuild", offer }, closed("a"), { type: "bootstrap-done" }]);
    expect(steps.map((s) => s.state.kind)).toEqual(["bootstrapping", "bootstrapping", "dialing"]);
    expect(steps[0]!.effects).toEqual([{ type: "close-socket", socket: "a", code: 1000, reason: "rebuilding from snapshot" }]);
    expect(steps[1]!.effects.map((e) => e.type)).toEqual(["disconnected", "bootstrap"]);
    expect(steps[1]!.effects[1]).toEqual({ type: "bootstrap", offer, token: "t" });
    // Only a connected client rebuilds.
    expect(transition<S>({ kind: "backoff", attempt: 1 }, { type: "rebuild", offer }, ctx)).toEqual({ state: { kind: "backoff", attempt: 1 }, effects: [] });
  });

  test("close ends everything: the socket is closed, a pending retry cancelled, later events ignored", () => {
    expect(transition<S>({ kind: "connected", socket: "a", token: undefined }, { type: "close" }, ctx)).toEqual({
      state: { kind: "closed" },
      effects: [{ type: "close-socket", socket: "a", code: 1000, reason: "client closed" }],
    });
    expect(transition<S>({ kind: "backoff", attempt: 4 }, { type: "close" }, ctx)).toEqual({ state: { kind: "closed" }, effects: [{ type: "cancel-retry" }] });
    expect(transition<S>({ kind: "dialing", attempt: 0 }, { type: "close" }, ctx)).toEqual({ state: { kind: "closed" }, effects: [] });
    const done: ConnectionState<S> = { kind: "closed" };
    for (const event of [{ type: "connect" }, { type: "retry" }, { type: "token", token: "t" }, closed("a"), { type: "bootstrap-done" }, { type: "close" }] as ConnectionEvent<S>[]) {
      expect(transition(done, event, ctx)).toEqual({ state: done, effects: [] });
    }
    // A socket created for an attempt that close() overtook is closed at once.
    expect(transition(done, { type: "socket", socket: "late", token: undefined }, ctx).effects).toEqual([{ type: "close-socket", socket: "late", code: 1000, reason: "client closed" }]);
  });

  test("socketOf names the socket of opening, connected and bootstrapping states only", () => {
    expect(socketOf<S>({ kind: "opening", attempt: 0, socket: "a", token: undefined })).toBe("a");
    expect(socketOf<S>({ kind: "connected", socket: "b", token: undefined })).toBe("b");
    expect(socketOf<S>({ kind: "backoff", attempt: 0 })).toBeNull();
    expect(socketOf<S>(INITIAL_STATE)).toBeNull();
  });
});
