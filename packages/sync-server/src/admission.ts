/**
 * The door: decides, before any WebSocket exists, whether a request may come in. Connection
 * limit (503), browser origin (403), token (401) — in that order, cheapest first. The same token
 * check guards the HTTP routes other than /health when authentication is on.
 * @module
 */
import type { Logger } from "@kuzu-sync/telemetry";
import { AuthError, loggablePath, tokenOf, type Authenticator, type Principal } from "./auth.ts";

export interface AdmissionOptions {
  readonly auth: Authenticator | null;
  /** Origins a browser may connect from; null: any. */
  readonly allowedOrigins: readonly string[] | null;
  readonly maxConnections: number;
  readonly logger: Logger;
}

export type Admitted = { readonly ok: true; readonly principal: Principal | null } | { readonly ok: false; readonly response: Response };

/** HTTP answers carry a JSON body with the same code a client would see in a SyncError. */
function refuse(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: code, message }, { status, headers });
}

/**
 * @example
 * const admission = new Admission({ auth, allowedOrigins, maxConnections: 10_000, logger });
 * const verdict = await admission.admitUpgrade(req, url, sockets.size);
 * if (!verdict.ok) return verdict.response;
 */
export class Admission {
  readonly #options: AdmissionOptions;
  readonly #origins: ReadonlySet<string> | null;
  /** Upgrades admitted whose socket is not open yet; they count against the limit too. */
  #pending = 0;
  /** Refusals by HTTP status, for /stats. */
  readonly refused = new Map<number, number>();

  constructor(options: AdmissionOptions) {
    this.#options = options;
    this.#origins = options.allowedOrigins === null ? null : new Set(options.allowedOrigins);
  }

  /** Whether a token is needed for HTTP routes (everything but /health) and upgrades. */
  get authRequired(): boolean {
    return this.#options.auth !== null;
  }

  /**
   * Judge a WebSocket upgrade. `open` is the number of sockets open now. On success the caller
   * must call {@link opened} once the upgrade is done or has failed.
   */
  async admitUpgrade(req: Request, url: URL, open: number, remote: string | null): Promise<Admitted> {
    if (open + this.#pending >= this.#options.maxConnections) {
      return { ok: false, response: this.#refuse(503, "UNAVAILABLE", `the gateway is at its limit of ${this.#options.maxConnections} connections`, url, remote, { "Retry-After": "5" }) };
    }
    const origin = req.headers.get("origin");
    // Browsers always send Origin on a WebSocket upgrade; other clients may not, and an Origin
    // header proves nothing about them, so only present origins are judged.
    if (origin !== null && this.#origins !== null && !this.#origins.has(origin)) {
      return { ok: false, response: this.#refuse(403, "FORBIDDEN", `origin ${origin} is not allowed`, url, remote) };
    }
    this.#pending++;
    try {
      const principal = await this.#authenticate(req, url, remote);
      if (principal instanceof Response) return { ok: false, response: principal };
      return { ok: true, principal };
    } finally {
      this.#pending--;
    }
  }

  /**
   * Guard an HTTP route: null to go on, or the 401 to send. /health stays open for load
   * balancers; everything else (stats name clients, snapshots hold the whole graph) needs a token.
   */
  async guardHttp(req: Request, url: URL, remote: string | null): Promise<Response | null> {
    if (this.#options.auth === null || url.pathname === "/health") return null;
    const principal = await this.#authenticate(req, url, remote);
    return principal instanceof Response ? principal : null;
  }

  async #authenticate(req: Request, url: URL, remote: string | null): Promise<Principal | null | Response> {
    const auth = this.#options.auth;
    if (auth === null) return null;
    const token = tokenOf(req, url);
    if (token === null) return this.#refuse(401, "UNAUTHORIZED", "a token is required (Authorization: Bearer, or ?token=)", url, remote, { "WWW-Authenticate": "Bearer" });
    try {
      return await auth.verify(token);
    } catch (error) {
      const reason = error instanceof AuthError ? error.message : "invalid token";
      return this.#refuse(401, "UNAUTHORIZED", reason, url, remote, { "WWW-Authenticate": `Bearer error="invalid_token"` });
    }
  }

  #refuse(status: number, code: string, reason: string, url: URL, remote: string | null, headers?: Record<string, string>): Response {
    this.refused.set(status, (this.refused.get(status) ?? 0) + 1);
    this.#options.logger.info("request refused", { status, reason, path: loggablePath(url), remote });
    return refuse(status, code, reason, headers);
  }
}
