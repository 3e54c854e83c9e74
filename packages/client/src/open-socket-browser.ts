/**
 * Opening the gateway's WebSocket in a browser (`#open-socket`). A browser's WebSocket cannot set
 * headers, so the access token goes in the `token` query parameter of the upgrade request, which
 * the gateway accepts as well and never logs (it drops query strings from every log line); the
 * client's own messages and logs show the URL without its query. Over the network, use `wss:`.
 * @module
 */

/**
 * @example const ws = openSocket("wss://sync.example.com", token); // wss://sync.example.com/?token=…
 */
export function openSocket(url: string, token: string | undefined): WebSocket {
  if (token === undefined) return new WebSocket(url);
  const withToken = new URL(url);
  withToken.searchParams.set("token", token);
  return new WebSocket(withToken);
}
