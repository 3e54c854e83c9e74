/**
 * Per-connection limits that live as long as a socket: the rate limit (token bucket, with reading
 * paused while a client floods), the token's expiry (close 4001) and the time allowed before the
 * `hello` (close 4002).
 * @module
 */
import type { ServerWebSocket } from "bun";
import { CloseCode } from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";
import { TokenBucket } from "./rate-limit.ts";
import type { LimitsConfig } from "./security-config.ts";

/** Longest single setTimeout; an expiry further away is re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The per-socket fields the guard keeps (part of the gateway's connection data). */
export interface GuardState {
  readonly connId: string;
  clientId: string | null;
  /** Per-connection rate limit; null when off. */
  readonly bucket: TokenBucket | null;
  /** The last frame was refused by the rate limit (for logging once per run). */
  limited: boolean;
  /** Reading is paused until the rate limit has tokens again. */
  resume: ReturnType<typeof setTimeout> | null;
  expiry: ReturnType<typeof setTimeout> | null;
  /** Closes the socket unless a `hello` arrives first; null once it did (or when off). */
  helloTimer: ReturnType<typeof setTimeout> | null;
}

/**
 * @example
 * const guard = new ConnectionGuard(config.limits, logger);
 * const data = { connId, clientId: null, ...guard.initialState() };
 * const refusal = guard.spend(ws); // in message(): null, or the RATE_LIMITED message
 */
export class ConnectionGuard {
  readonly #limits: LimitsConfig;
  readonly #logger: Logger;

  constructor(limits: LimitsConfig, logger: Logger) {
    this.#limits = limits;
    this.#logger = logger;
  }

  initialState(): Omit<GuardState, "connId" | "clientId"> {
    const { rateLimit, rateLimitBurst } = this.#limits;
    return { bucket: rateLimit > 0 ? new TokenBucket(rateLimit, rateLimitBurst) : null, limited: false, resume: null, expiry: null, helloTimer: null };
  }

  /**
   * Spend a token for one frame. Null: go on. Otherwise the frame is refused with the returned
   * message (RATE_LIMITED), and the socket is not read again until a tenth of the burst is back:
   * frames already read are still answered, the rest of a flood waits in TCP instead of costing a
   * parse and a reject each, so other connections keep their latency.
   */
  spend(ws: ServerWebSocket<GuardState>): string | null {
    return this.spendUpTo(ws, 1).refusal;
  }

  /**
   * Spend a token for each of `count` events of one `events` frame, as if each had come in a
   * frame of its own: the first `granted` go on; the rest are refused with `refusal`
   * (RATE_LIMITED, null when all were granted), with reading paused as for {@link spend}.
   */
  spendUpTo(ws: ServerWebSocket<GuardState>, count: number): { readonly granted: number; readonly refusal: string | null } {
    const bucket = ws.data.bucket;
    if (bucket === null) return { granted: count, refusal: null };
    const granted = bucket.takeUpTo(count);
    if (granted === count) {
      ws.data.limited = false;
      return { granted, refusal: null };
    }
    return { granted, refusal: this.#limited(ws, bucket) };
  }

  #limited(ws: ServerWebSocket<GuardState>, bucket: TokenBucket): string {
    const { rateLimit, rateLimitBurst } = this.#limits;
    // One log line per run of refusals, not one per frame: a flood must not become a log flood.
    if (!ws.data.limited) this.#logger.warn("connection rate limited", { connId: ws.data.connId, clientId: ws.data.clientId, rate: rateLimit, burst: rateLimitBurst });
    ws.data.limited = true;
    const wait = bucket.waitMs();
    if (ws.data.resume === null) {
      ws.pause();
      ws.data.resume = setTimeout(
        () => {
          ws.data.resume = null;
          if (ws.readyState === 1) ws.resume();
        },
        Math.max(1, wait, Math.min(1_000, (rateLimitBurst / 10 / rateLimit) * 1000)),
      );
    }
    return `over ${rateLimit} frames/s (burst ${rateLimitBurst}); retry in ${wait} ms`;
  }

  /** Close the socket with 4001 when its token expires; the client reconnects with a fresh one. */
  armExpiry(ws: ServerWebSocket<GuardState>, expiresAt: number): void {
    const delay = expiresAt - Date.now();
    ws.data.expiry = setTimeout(
      () => {
        if (delay > MAX_TIMER_MS) return this.armExpiry(ws, expiresAt);
        this.#logger.info("token expired", { connId: ws.data.connId, clientId: ws.data.clientId });
        ws.close(CloseCode.TOKEN_EXPIRED, "token expired");
      },
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    );
  }

  /**
   * Close the socket with 4002 unless {@link helloReceived} is called within HELLO_TIMEOUT. Client
   * stacks answer pings by themselves, so the idle timeout never closes a socket that only stays
   * open: without this, sockets that never say hello would hold MAX_CONNECTIONS slots for ever.
   */
  armHello(ws: ServerWebSocket<GuardState>): void {
    const seconds = this.#limits.helloTimeoutSeconds;
    if (seconds === 0) return;
    ws.data.helloTimer = setTimeout(() => {
      ws.data.helloTimer = null;
      if (ws.readyState !== 1) return;
      this.#logger.info("no hello in time: connection closed", { connId: ws.data.connId, helloTimeoutSeconds: seconds });
      ws.close(CloseCode.HELLO_TIMEOUT, `no hello within ${seconds} s`);
    }, seconds * 1000);
  }

  /** The hello arrived: the socket may stay. */
  helloReceived(ws: ServerWebSocket<GuardState>): void {
    if (ws.data.helloTimer !== null) clearTimeout(ws.data.helloTimer);
    ws.data.helloTimer = null;
  }

  /** On close: no timer may outlive its socket. */
  release(ws: ServerWebSocket<GuardState>): void {
    if (ws.data.expiry !== null) clearTimeout(ws.data.expiry);
    if (ws.data.resume !== null) clearTimeout(ws.data.resume);
    this.helloReceived(ws);
  }
}
