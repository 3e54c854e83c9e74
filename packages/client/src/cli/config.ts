/**
 * The CLI's global settings, parsed once from flags and environment into a frozen object.
 * @module
 */
import { CliError, ExitCode } from "./exit-codes.ts";

export const DEFAULT_URL = "ws://localhost:8080";

export interface CliConfig {
  /** Gateway WebSocket URL (`--url` / `SYNC_URL`). */
  readonly url: string;
  /** Same host and port over HTTP, for /health, /stats, /templates. */
  readonly httpUrl: string;
  /** How long to wait for the gateway to connect or answer (`--timeout`); a connected catch-up is not bounded. */
  readonly timeoutMs: number;
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** Access token for a gateway with authentication on (`SYNC_TOKEN`, or `--token`). */
  readonly token: string | null;
  /** The token's `sub`: the client id a gateway with authentication on insists on. */
  readonly tokenSubject: string | null;
}

export interface GlobalOptions {
  readonly url?: string;
  readonly token?: string;
  readonly timeout?: string;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
}

/** Where `--url` and `--token` came from (commander's option value source), so errors name it as given. */
export interface OptionSources {
  readonly url?: string | undefined;
  readonly token?: string | undefined;
}

/**
 * @example parseCliConfig({ url: "ws://localhost:8080", timeout: "15000" })
 */
export function parseCliConfig(options: GlobalOptions, sources: OptionSources = {}): CliConfig {
  const urlText = options.url ?? DEFAULT_URL;
  const { url, httpUrl } = parseUrl(urlText, sources.url === "env" ? `SYNC_URL=${JSON.stringify(urlText)}` : `--url ${urlText}`);
  const tokenName = sources.token === "env" ? "SYNC_TOKEN" : "--token";
  return Object.freeze({
    url,
    httpUrl,
    timeoutMs: parseInteger("--timeout", options.timeout ?? "15000", 1),
    quiet: options.quiet === true,
    verbose: options.verbose === true,
    token: options.token?.trim() || null,
    tokenSubject: options.token?.trim() ? subjectOf(options.token.trim(), tokenName) : null,
  });
}

/**
 * The `sub` of a JWT, read without verifying it (the gateway verifies): with authentication on,
 * a connection must use it as its client id.
 */
function subjectOf(token: string, name: string): string {
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { sub?: unknown };
    if (typeof payload.sub === "string" && payload.sub !== "") return payload.sub;
  } catch {
    // reported below
  }
  throw new CliError(`${name} is not a JWT with a sub claim`, ExitCode.USAGE);
}

/** ws:// and wss:// as given; http(s):// accepted and turned into ws(s)://. */
function parseUrl(text: string, shown: string): { url: string; httpUrl: string } {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new CliError(`${shown} is not a URL (expected e.g. ${DEFAULT_URL})`, ExitCode.USAGE);
  }
  const secure = parsed.protocol === "wss:" || parsed.protocol === "https:";
  if (!["ws:", "wss:", "http:", "https:"].includes(parsed.protocol)) {
    throw new CliError(`${shown} must start with ws:// or wss://`, ExitCode.USAGE);
  }
  const rest = `${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  return { url: `${secure ? "wss" : "ws"}://${rest}`, httpUrl: `${secure ? "https" : "http"}://${parsed.host}` };
}

/**
 * A whole number of at least `min`, or a usage error naming the option as typed.
 * @example parseInteger("--from-seq", "10", 1) // 10
 */
export function parseInteger(name: string, text: string, min: number): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new CliError(`${name} ${/^[\w.+-]+$/.test(text) ? text : JSON.stringify(text)}: expected a whole number >= ${min}`, ExitCode.USAGE);
  return n;
}
