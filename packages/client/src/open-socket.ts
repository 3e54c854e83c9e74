/**
 * Opening the gateway's WebSocket under Bun (`#open-socket`): the access token travels in the
 * `Authorization` header, which Bun's WebSocket can set (open-socket-browser.ts: a browser's cannot).
 * @module
 */

/**
 * @example const ws = openSocket("ws://localhost:8080", token);
 */
export function openSocket(url: string, token: string | undefined): WebSocket {
  return token === undefined ? new WebSocket(url) : new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
}
