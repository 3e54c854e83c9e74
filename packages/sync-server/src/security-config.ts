/**
 * The security and load settings of the sync-server (authentication, origins, rate limit,
 * connection and backpressure limits, idle timeout), parsed with the rest of the config.
 * Kept apart from config.ts so that file stays a short list of the basics.
 * @module
 */
import { resolve } from "node:path";
import { ConfigError, bool, int, setting, shown, type Setting, type SettingsEnv } from "@kuzu-sync/telemetry";

export interface AuthConfig {
  /** `--require-auth`: refuse to start unless a key source below is set. */
  readonly required: boolean;
  /** HS256 shared secret (AUTH_JWT_SECRET, environment only: flags show up in `ps`). */
  readonly jwtSecret: string | null;
  /** JWKS endpoint for RS256/ES256/EdDSA tokens (AUTH_JWKS_URL). */
  readonly jwksUrl: string | null;
  /** PEM (SPKI) public key file for RS256/ES256/EdDSA tokens (AUTH_PUBLIC_KEY_FILE). */
  readonly publicKeyFile: string | null;
  /** Required `iss`, when set (AUTH_ISSUER). */
  readonly issuer: string | null;
  /** Required `aud`, when set (AUTH_AUDIENCE). */
  readonly audience: string | null;
  /** Claim listing the templates a token may write (AUTH_TEMPLATES_CLAIM, default `templates`). */
  readonly templatesClaim: string;
  /** Origins allowed to open a WebSocket from a browser (ALLOWED_ORIGINS); null: any. */
  readonly allowedOrigins: readonly string[] | null;
}

export interface LimitsConfig {
  /** Events (and other frames) per second per connection; 0 = no limit (RATE_LIMIT). */
  readonly rateLimit: number;
  /** Bucket size: frames accepted back to back before the rate applies (RATE_LIMIT_BURST). */
  readonly rateLimitBurst: number;
  /** Open WebSockets at most; further upgrades get HTTP 503 (MAX_CONNECTIONS). */
  readonly maxConnections: number;
  /** Bytes queued for one live client beyond its OS socket buffer before it is closed with 4008 (BACKPRESSURE_LIMIT). */
  readonly backpressureLimit: number;
  /** Seconds without any frame or pong before a connection is closed; 0 = never (IDLE_TIMEOUT). */
  readonly idleTimeoutSeconds: number;
  /** Seconds a socket may stay open without a `hello` before it is closed with 4002; 0 = never (HELLO_TIMEOUT). */
  readonly helloTimeoutSeconds: number;
}

/** `parseArgs` option descriptors of the settings here; spread into the server's options. */
export const SECURITY_FLAGS = {
  "require-auth": { type: "boolean" },
  "auth-jwks-url": { type: "string" },
  "auth-public-key-file": { type: "string" },
  "auth-issuer": { type: "string" },
  "auth-audience": { type: "string" },
  "auth-templates-claim": { type: "string" },
  "allowed-origins": { type: "string" },
  "rate-limit": { type: "string" },
  "rate-limit-burst": { type: "string" },
  "max-connections": { type: "string" },
  "backpressure-limit": { type: "string" },
  "idle-timeout": { type: "string" },
  "hello-timeout": { type: "string" },
} as const;

export const SECURITY_USAGE = `
Security and load:
  --require-auth            REQUIRE_AUTH       refuse to start without one of the three key sources
                            AUTH_JWT_SECRET    HS256 secret, at least 32 characters (environment only)
  --auth-jwks-url <url>     AUTH_JWKS_URL      JWKS endpoint (RS256, PS256, ES256, EdDSA)
  --auth-public-key-file <path>  AUTH_PUBLIC_KEY_FILE  PEM public key (RSA, EC P-256 or Ed25519)
  --auth-issuer <iss>       AUTH_ISSUER        required "iss" claim
  --auth-audience <aud>     AUTH_AUDIENCE      required "aud" claim
  --auth-templates-claim <name>  AUTH_TEMPLATES_CLAIM  claim listing writable templates (default templates)
  --allowed-origins <list>  ALLOWED_ORIGINS    comma-separated origins browsers may connect from
  --rate-limit <n>          RATE_LIMIT         frames per second per connection, 0 = off (default 0)
  --rate-limit-burst <n>    RATE_LIMIT_BURST   frames accepted back to back (default 10 x RATE_LIMIT)
  --max-connections <n>     MAX_CONNECTIONS    open WebSockets at most (default 10000)
  --backpressure-limit <n>  BACKPRESSURE_LIMIT bytes queued for a slow client before it is closed
                                               with 4008 (default 4194304)
  --idle-timeout <s>        IDLE_TIMEOUT       close connections silent this long (pings are sent
                                               first); 0 = never, else 8..960 (default 120)
  --hello-timeout <s>       HELLO_TIMEOUT      close sockets that send no hello this long (4002);
                                               0 = never, else 1..600 (default 10)
`;

type Flags = { readonly [K in keyof typeof SECURITY_FLAGS]?: (typeof SECURITY_FLAGS)[K]["type"] extends "boolean" ? boolean : string };

function text(value: string | boolean | undefined): string | null {
  return typeof value !== "string" || value.trim() === "" ? null : value.trim();
}

function parseOrigins(s: Setting<string | boolean>): readonly string[] | null {
  const raw = text(s.value);
  if (raw === null) return null;
  return Object.freeze(
    raw.split(",").map((entry) => {
      const origin = entry.trim();
      let url: URL | null = null;
      try {
        url = new URL(origin);
      } catch {
        url = null;
      }
      // An origin is scheme://host[:port] and nothing else; anything more is a typo to report.
      if (url === null || url.origin === "null" || url.origin !== origin.replace(/\/$/, "")) {
        throw new ConfigError(`${s.name}: ${JSON.stringify(origin)} is not an origin like https://app.example.com`);
      }
      return url.origin;
    }),
  );
}

/**
 * @example
 * const { auth, limits } = parseSecurityConfig(flags, process.env);
 */
export function parseSecurityConfig(flags: Flags, env: SettingsEnv): { auth: AuthConfig; limits: LimitsConfig } {
  const get = (flag: keyof Flags, variable: string) => setting(`--${flag}`, flags[flag], variable, env);
  const jwtSecret = text(env["AUTH_JWT_SECRET"]);
  if (jwtSecret !== null && jwtSecret.length < 32) {
    throw new ConfigError("AUTH_JWT_SECRET is shorter than 32 characters; an HS256 secret that short can be guessed offline");
  }
  const jwks = get("auth-jwks-url", "AUTH_JWKS_URL");
  const jwksUrl = text(jwks.value);
  if (jwksUrl !== null && !/^https?:\/\/[^/]/.test(jwksUrl)) throw new ConfigError(`${shown(jwks, jwksUrl)} is not an http(s) URL`);
  const keyFile = text(get("auth-public-key-file", "AUTH_PUBLIC_KEY_FILE").value);
  const requireAuth = get("require-auth", "REQUIRE_AUTH");
  const required = bool(requireAuth, false);
  if (required && jwtSecret === null && jwksUrl === null && keyFile === null) {
    throw new ConfigError(`${requireAuth.name} is set but none of AUTH_JWT_SECRET, AUTH_JWKS_URL, AUTH_PUBLIC_KEY_FILE is`);
  }
  const claim = get("auth-templates-claim", "AUTH_TEMPLATES_CLAIM");
  const templatesClaim = text(claim.value) ?? "templates";
  if (["sub", "exp", "iat", "nbf", "iss", "aud", "jti"].includes(templatesClaim)) {
    throw new ConfigError(`${shown(claim, templatesClaim)} names a registered JWT claim; pick another name`);
  }
  const rateLimit = int(get("rate-limit", "RATE_LIMIT"), 0, 0, 10_000_000);
  const idleTimeout = get("idle-timeout", "IDLE_TIMEOUT");
  const idle = int(idleTimeout, 120, 0, 960);
  // Bun rounds 1..7 up to 8 silently; say so instead of running with a value nobody chose.
  if (idle > 0 && idle < 8) throw new ConfigError(`${shown(idleTimeout, idle)} is below 8 seconds (the smallest the WebSocket server supports); use 0 to turn it off`);
  return {
    auth: Object.freeze({
      required,
      jwtSecret,
      jwksUrl,
      publicKeyFile: keyFile === null ? null : resolve(keyFile),
      issuer: text(get("auth-issuer", "AUTH_ISSUER").value),
      audience: text(get("auth-audience", "AUTH_AUDIENCE").value),
      templatesClaim,
      allowedOrigins: parseOrigins(get("allowed-origins", "ALLOWED_ORIGINS")),
    }),
    limits: Object.freeze({
      rateLimit,
      // A generous burst: a client pipelining its outbox after a reconnect must not be refused
      // (a refused event is resent later, behind events sent after it).
      rateLimitBurst: int(get("rate-limit-burst", "RATE_LIMIT_BURST"), Math.max(1, rateLimit * 10), 1, 100_000_000),
      maxConnections: int(get("max-connections", "MAX_CONNECTIONS"), 10_000, 1, 1_000_000),
      backpressureLimit: int(get("backpressure-limit", "BACKPRESSURE_LIMIT"), 4 << 20, 16 << 10, 1 << 30),
      idleTimeoutSeconds: idle,
      // Pings keep a socket that never says hello alive for ever: without this, idle sockets fill MAX_CONNECTIONS.
      helloTimeoutSeconds: int(get("hello-timeout", "HELLO_TIMEOUT"), 10, 0, 600),
    }),
  };
}

/** Whether any key source is configured. */
export function authConfigured(auth: AuthConfig): boolean {
  return auth.jwtSecret !== null || auth.jwksUrl !== null || auth.publicKeyFile !== null;
}
