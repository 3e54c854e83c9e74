/**
 * WebSocket close codes used by kuzu-sync, in one place so gateway and clients agree on them.
 * See docs/PROTOCOL.md §1.
 * @module
 */

/**
 * Close codes and who sends them. 1xxx are the standard codes (RFC 6455 §7.4.1); 4xxx are ours.
 * @example
 * ws.onclose = (e) => { if (e.code === CloseCode.TOKEN_EXPIRED) refreshTokenThenReconnect(); };
 */
export const CloseCode = {
  /** Either side: an orderly close. */
  NORMAL: 1000,
  /** Server: shutting down; reconnect (to this or another gateway). */
  GOING_AWAY: 1001,
  /** Server: the connection broke a rule it cannot recover from (hello.clientId is not the token's `sub`). Do not reconnect unchanged. */
  POLICY_VIOLATION: 1008,
  /** Server: a frame was larger than `maxMessageBytes`. */
  MESSAGE_TOO_BIG: 1009,
  /** Server: an internal fault (e.g. catch-up could not read the log). Reconnect. */
  INTERNAL_ERROR: 1011,
  /** Server: `hello.lastSeq` is older than the hot log's horizon (SNAPSHOT_REQUIRED). */
  SNAPSHOT_REQUIRED: 4000,
  /** Server: the access token expired. Reconnect with a fresh token. */
  TOKEN_EXPIRED: 4001,
  /** Server: no `hello` arrived within HELLO_TIMEOUT seconds of the socket opening. Reconnect (and say hello at once). */
  HELLO_TIMEOUT: 4002,
  /** Server: the client did not read fast enough and its send buffer passed the backpressure limit. Reconnect and catch up. */
  SLOW_CONSUMER: 4008,
  /** Client: its replica saw a gap or failed; it reconnects from what it really applied. */
  RESYNC: 4100,
} as const;

/** Union of the close codes above. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
