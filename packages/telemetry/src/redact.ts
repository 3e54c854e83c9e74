/**
 * Redaction of sensitive attributes, applied by the logger to every record before any sink sees it.
 *
 * The convention is by attribute *name*, so call sites stay simple (`log.info("applied", { params })`
 * is safe) and every sink — JSON lines, `LOG_TS_PATH`, OTLP — gets the same redacted record:
 *
 * - **secrets** (`token`, `authorization`, `password`, `secret`, `cookie`, `api_key`, … and any name
 *   ending in `_token`, `_secret` or `_password`) are replaced by {@link REDACTED} at every level;
 * - **parameter values** (`params`, `parameters`, and names ending in `_params`/`_parameters`) are
 *   replaced at INFO and above, and kept at DEBUG so a developer can see what a template was run with.
 *
 * A name is matched on its last dot-separated segment, case-insensitively, with `camelCase` and
 * `kebab-case` read as `snake_case`: `http.request.header.authorization`, `accessToken`,
 * `x-api-key` and `event.params` all match. The record body is not inspected: never put parameter
 * values or tokens into the message text.
 * @module
 */
import type { Attributes } from "./logger.ts";

/** What a redacted attribute value is replaced with. */
export const REDACTED = "[REDACTED]";

/** Severity from which parameter values are redacted (INFO). */
const PARAMS_REDACTED_FROM = 9;

const SECRET_NAMES = new Set([
  "authorization",
  "proxy_authorization",
  "token",
  "password",
  "passwd",
  "secret",
  "cookie",
  "set_cookie",
  "api_key",
  "apikey",
  "x_api_key",
  "private_key",
  "access_key",
  "secret_access_key",
  "credentials",
]);
const SECRET_SUFFIXES = ["_token", "_secret", "_password"];
const PARAMS_NAMES = new Set(["params", "parameters"]);
const PARAMS_SUFFIXES = ["_params", "_parameters"];

function normalize(key: string): string {
  const last = key.slice(key.lastIndexOf(".") + 1);
  return last
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/-/g, "_")
    .toLowerCase();
}

/**
 * Whether an attribute with this name holds a secret (redacted at every level).
 * @example
 * isSecretAttribute("http.request.header.authorization"); // true
 * isSecretAttribute("accessToken"); // true
 * isSecretAttribute("tokenCount"); // false
 */
export function isSecretAttribute(key: string): boolean {
  const n = normalize(key);
  return SECRET_NAMES.has(n) || SECRET_SUFFIXES.some((s) => n.endsWith(s));
}

/**
 * Whether an attribute with this name holds template parameter values (redacted at INFO and above).
 * @example
 * isParamsAttribute("params"); // true
 * isParamsAttribute("event.queryParams"); // true
 */
export function isParamsAttribute(key: string): boolean {
  const n = normalize(key);
  return PARAMS_NAMES.has(n) || PARAMS_SUFFIXES.some((s) => n.endsWith(s));
}

/**
 * Return `attributes` with sensitive values replaced for a record of the given severity. Returns the
 * same object when nothing needed redacting, so the common case allocates nothing.
 * @example
 * redactAttributes({ template: "CREATE_USER", params: '{"name":"Ada"}', token: "t0k" }, 9);
 * // { template: "CREATE_USER", params: "[REDACTED]", token: "[REDACTED]" }
 * redactAttributes({ params: '{"name":"Ada"}' }, 5); // DEBUG: { params: '{"name":"Ada"}' }
 */
export function redactAttributes(attributes: Attributes, severityNumber: number): Attributes {
  let out: Record<string, Attributes[string]> | undefined;
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    if (value === undefined || value === null || value === REDACTED) continue;
    const hide = isSecretAttribute(key) || (severityNumber >= PARAMS_REDACTED_FROM && isParamsAttribute(key));
    if (!hide) continue;
    out ??= { ...attributes };
    out[key] = REDACTED;
  }
  return out ?? attributes;
}
