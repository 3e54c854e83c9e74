/**
 * Who is connecting: JSON Web Tokens verified with `jose` against an HS256 secret, a JWKS
 * endpoint, or a PEM public key. A verified token becomes a {@link Principal}: its `sub` is the
 * only client id the connection may use, and an optional claim lists the templates it may write.
 * Tokens are never logged; errors carry a reason, never the token.
 * @module
 */
import { createPublicKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRemoteJWKSet, errors, importSPKI, jwtVerify, type CryptoKey, type JWTHeaderParameters, type JWTPayload } from "jose";
import { Limits } from "@kuzu-sync/protocol";
import { ConfigError } from "./config.ts";
import type { AuthConfig } from "./security-config.ts";

/** An authenticated caller. */
export interface Principal {
  /** The token's `sub`: the client id this connection must use. */
  readonly sub: string;
  /** When the token stops being valid (ms since epoch). */
  readonly expiresAt: number;
  /** Templates this caller may write; null when the token has no such claim (all templates). */
  readonly templates: ReadonlySet<string> | null;
}

/** Why a token was refused: a short, loggable reason (never the token itself). */
export class AuthError extends Error {
  override readonly name = "AuthError";
}

export interface Authenticator {
  /** Which key sources are in use, for the start-up log line. */
  readonly sources: readonly string[];
  /** Verify a token; throws AuthError with the reason. */
  verify(token: string): Promise<Principal>;
}

/** Asymmetric algorithms accepted, per key type of a PEM public key. */
const ALG_BY_KEY_TYPE: Readonly<Record<string, string>> = { rsa: "RS256", "rsa-pss": "PS256", ec: "ES256", ed25519: "EdDSA" };
const ASYMMETRIC = ["RS256", "PS256", "ES256", "EdDSA"];

async function loadPublicKey(path: string): Promise<{ alg: string; key: CryptoKey }> {
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(`AUTH_PUBLIC_KEY_FILE=${path} cannot be read: ${(error as Error).message}`);
  }
  let type: string | undefined;
  try {
    type = createPublicKey(pem).asymmetricKeyType;
  } catch (error) {
    throw new ConfigError(`AUTH_PUBLIC_KEY_FILE=${path} is not a PEM public key: ${(error as Error).message}`);
  }
  const alg = type === undefined ? undefined : ALG_BY_KEY_TYPE[type];
  if (alg === undefined) throw new ConfigError(`AUTH_PUBLIC_KEY_FILE=${path} holds a ${type} key; use RSA, EC P-256 or Ed25519`);
  try {
    return { alg, key: await importSPKI(pem, alg) };
  } catch (error) {
    throw new ConfigError(`AUTH_PUBLIC_KEY_FILE=${path} cannot be used for ${alg}: ${(error as Error).message}`);
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof AuthError) return error.message;
  if (error instanceof errors.JWTExpired) return "token expired";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "bad signature";
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} ${error.reason}`;
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  if (error instanceof errors.JWKSNoMatchingKey) return "no matching key in the JWKS";
  if (error instanceof errors.JWKSTimeout) return "JWKS endpoint timed out";
  if (error instanceof errors.JOSEError) return `invalid token (${error.code})`;
  return "invalid token";
}

function principalOf(payload: JWTPayload, templatesClaim: string): Principal {
  const sub = payload.sub;
  if (typeof sub !== "string" || sub.length === 0 || sub.length > Limits.maxIdLength) {
    throw new AuthError(`claim sub must be a string of 1..${Limits.maxIdLength} characters`);
  }
  if (typeof payload.exp !== "number") throw new AuthError("claim exp is missing");
  const claim = payload[templatesClaim];
  let templates: ReadonlySet<string> | null = null;
  if (claim !== undefined) {
    if (!Array.isArray(claim) || !claim.every((t): t is string => typeof t === "string")) {
      throw new AuthError(`claim ${templatesClaim} must be an array of template names`);
    }
    templates = claim.includes("*") ? null : new Set(claim);
  }
  return { sub, expiresAt: payload.exp * 1000, templates };
}

/**
 * Build the verifier from the config; null when no key source is configured (auth off).
 * @example
 * const auth = await createAuthenticator(config.auth);
 * const principal = await auth?.verify(token); // throws AuthError("token expired"), ...
 */
export async function createAuthenticator(config: AuthConfig): Promise<Authenticator | null> {
  const secret = config.jwtSecret === null ? null : new TextEncoder().encode(config.jwtSecret);
  const publicKey = config.publicKeyFile === null ? null : await loadPublicKey(config.publicKeyFile);
  const jwks = config.jwksUrl === null ? null : createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  if (secret === null && publicKey === null && jwks === null) return null;

  const algorithms = [...(secret ? ["HS256"] : []), ...(jwks ? ASYMMETRIC : publicKey ? [publicKey.alg] : [])];
  const sources = [secret && "AUTH_JWT_SECRET (HS256)", publicKey && `AUTH_PUBLIC_KEY_FILE (${publicKey.alg})`, jwks && "AUTH_JWKS_URL"].filter(
    (s): s is string => typeof s === "string",
  );
  // Each algorithm family has its own key; an HS256 token is never checked against a public key
  // (the classic confusion attack), and `none` is never in `algorithms`.
  const keyFor = async (header: JWTHeaderParameters, token: { payload: string | Uint8Array; signature: string }) => {
    if (header.alg === "HS256") {
      if (secret) return secret;
    } else if (publicKey && header.alg === publicKey.alg && (header.kid === undefined || jwks === null)) {
      return publicKey.key;
    } else if (jwks) {
      return jwks(header, token as never);
    }
    throw new AuthError(`no key for algorithm ${String(header.alg)}`);
  };
  const options = {
    algorithms,
    requiredClaims: ["sub", "exp"],
    ...(config.issuer === null ? {} : { issuer: config.issuer }),
    ...(config.audience === null ? {} : { audience: config.audience }),
  };
  return {
    sources,
    async verify(token) {
      if (token.length === 0 || token.length > 16_384) throw new AuthError(token.length === 0 ? "no token" : "token too long");
      try {
        const { payload } = await jwtVerify(token, keyFor, options);
        return principalOf(payload, config.templatesClaim);
      } catch (error) {
        throw new AuthError(reasonOf(error), { cause: error });
      }
    },
  };
}

/**
 * The token of a request: `Authorization: Bearer <token>`, else the `token` query parameter
 * (browsers cannot set headers on a WebSocket). Null when neither is present.
 * @example const token = tokenOf(req, new URL(req.url));
 */
export function tokenOf(req: Request, url: URL): string | null {
  const header = req.headers.get("authorization");
  if (header !== null) {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    return match ? match[1]! : "";
  }
  return url.searchParams.get("token");
}

/**
 * A URL fit for a log line: the query string, which may hold `token`, is dropped.
 * @example logger.info("refused", { path: loggablePath(url) });
 */
export function loggablePath(url: URL): string {
  return url.search === "" ? url.pathname : `${url.pathname}?…`;
}
