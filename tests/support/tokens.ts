/**
 * Token minting for tests with `jose`: an HS256 secret, an RSA key pair whose public half is a
 * PEM file, and an Ed25519 key pair served as a JWKS by a tiny HTTP server on port 0. Every
 * token minted is remembered, so a test can check none of them reached a log.
 * @module
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWTPayload } from "jose";

export const HS256_SECRET = "test-secret-that-is-at-least-32-characters-long";

export interface TokenOptions {
  readonly sub?: string;
  /** Seconds from now; negative for an expired token. Omit `exp` with null. */
  readonly expiresIn?: number | null;
  readonly claims?: JWTPayload;
  readonly alg?: "HS256" | "RS256" | "EdDSA";
  /** Sign with this key instead of the configured one (a wrong signature). */
  readonly key?: CryptoKey | Uint8Array;
  readonly kid?: string;
}

export interface TokenKit extends AsyncDisposable {
  /** Env for the gateway: AUTH_JWT_SECRET, AUTH_PUBLIC_KEY_FILE (RSA), AUTH_JWKS_URL (Ed25519). */
  readonly env: Record<string, string>;
  /** The RSA public key PEM (for the algorithm-confusion case). */
  readonly rsaPublicPem: string;
  /** An RSA key the gateway does not know. */
  readonly strangerKey: CryptoKey;
  readonly minted: string[];
  mint(options?: TokenOptions): Promise<string>;
}

/** Keys in `dir`, JWKS served until disposed. */
export async function tokenKit(dir: string): Promise<TokenKit> {
  const rsa = await generateKeyPair("RS256");
  const ed = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const stranger = await generateKeyPair("RS256");
  const rsaPublicPem = await exportSPKI(rsa.publicKey);
  const keyFile = join(dir, "rsa-public.pem");
  writeFileSync(keyFile, rsaPublicPem);
  const jwk = { ...(await exportJWK(ed.publicKey)), kid: "ed-1", alg: "EdDSA", use: "sig" };
  const jwks = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ keys: [jwk] }) });
  const secret = new TextEncoder().encode(HS256_SECRET);
  const minted: string[] = [];
  return {
    env: { AUTH_JWT_SECRET: HS256_SECRET, AUTH_PUBLIC_KEY_FILE: keyFile, AUTH_JWKS_URL: `http://127.0.0.1:${jwks.port}/.well-known/jwks.json` },
    rsaPublicPem,
    strangerKey: stranger.privateKey,
    minted,
    async mint(options = {}) {
      const alg = options.alg ?? "HS256";
      const key = options.key ?? (alg === "HS256" ? secret : alg === "RS256" ? rsa.privateKey : ed.privateKey);
      const kid = options.kid ?? (alg === "EdDSA" ? "ed-1" : undefined);
      let jwt = new SignJWT(options.claims ?? {}).setProtectedHeader({ alg, ...(kid === undefined ? {} : { kid }) }).setIssuedAt();
      if (options.sub !== "") jwt = jwt.setSubject(options.sub ?? "alice");
      if (options.expiresIn !== null) jwt = jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresIn ?? 600));
      const token = await jwt.sign(key);
      minted.push(token);
      return token;
    },
    [Symbol.asyncDispose]: async () => {
      await jwks.stop(true);
    },
  };
}

/** An unsigned token (`alg: none`) that a careless verifier would accept. */
export function unsignedToken(payload: JWTPayload): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${b64({ alg: "none", typ: "JWT" })}.${b64(payload)}.`;
}
