/**
 * Checks a client makes before anything is stored in its outbox or sent: an event the gateway's
 * parse boundary would refuse (empty or over-long id, a string that is not well-formed UTF-16…)
 * would be answered with a reject the client may not be able to match, and a persistent outbox
 * would resend it for ever. Refusing it here settles the promise at once with the gateway's code.
 * @module
 */
import { SyncError, checkClientEvent, checkClientId, type ClientEvent } from "@kuzu-sync/protocol";

/**
 * The SyncError to reject `executeTemplate()` with, or null when the gateway would parse the event.
 * @example
 * const refused = eventRefusal(event);
 * if (refused) return Promise.reject(refused); // nothing entered the outbox
 */
export function eventRefusal(event: ClientEvent): SyncError | null {
  const check = checkClientEvent(event);
  if (check.ok) return null;
  return new SyncError(check.code, `event not sent: ${check.message}`, { eventId: event.id });
}

/**
 * The SyncError to reject `connect()` with, or null when the gateway would accept the client id.
 * @example if (clientIdRefusal("x".repeat(129))) throw ...; // BAD_MESSAGE, at once instead of a TIMEOUT
 */
export function clientIdRefusal(clientId: string): SyncError | null {
  const check = checkClientId(clientId);
  if (check.ok) return null;
  return new SyncError(check.code, `clientId ${JSON.stringify(clientId.length > 40 ? `${clientId.slice(0, 40)}…` : clientId)} is not one the gateway accepts: ${check.message}`);
}

/**
 * Why an idempotency key given up front (`executeTemplate(…, { id })`, `sync-client send --id`)
 * would be refused by the gateway, or null when it is fine.
 * @example eventIdProblem("") // "event.id: Too small: expected string to have >=1 characters"
 */
export function eventIdProblem(id: string): string | null {
  const check = checkClientEvent({ id, template: "T", params: {}, clientId: "c", timestamp: 0 });
  return check.ok ? null : check.message;
}
