/**
 * Reading the gateway's GET /health, and waiting for it to reach a seq: the one helper for
 * "wait until the server replica (or the consumed head, or the horizon) is there". The gateway has
 * no push notification for these positions, so the wait polls /health until a deadline.
 * @module
 */

export interface Health {
  readonly headSeq: number;
  readonly horizonSeq: number;
  readonly replicaSeq: number;
  readonly snapshotSeq: number | null;
}

export async function health(httpUrl: string): Promise<Health> {
  return (await (await fetch(`${httpUrl}/health`)).json()) as Health;
}

/** A gateway, or its HTTP base URL. */
export type HealthSource = string | { readonly httpUrl: string };

/**
 * Resolves with /health once `reached` holds; rejects after `timeoutMs` with `describe` of the last answer.
 * @example await waitForHealth(gw, (h) => h.replicaSeq >= 10, (h) => `replica at ${h.replicaSeq}`);
 */
export async function waitForHealth(gateway: HealthSource, reached: (h: Health) => boolean, describe: (h: Health) => string, timeoutMs: number): Promise<Health> {
  const httpUrl = typeof gateway === "string" ? gateway : gateway.httpUrl;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await health(httpUrl);
    if (reached(h)) return h;
    if (Date.now() > deadline) throw new Error(`${describe(h)} after ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

/** Resolves once the gateway's server replica has applied `seq` (it applies in the background). */
export function waitForReplica(gateway: HealthSource, seq: number, timeoutMs = 20_000): Promise<Health> {
  return waitForHealth(gateway, (h) => h.replicaSeq >= seq, (h) => `server replica at ${h.replicaSeq}, not ${seq},`, timeoutMs);
}

/** Resolves once the gateway's head is at least `seq` (JetStream: it has consumed that far). */
export function waitForHead(gateway: HealthSource, seq: number, timeoutMs = 20_000): Promise<Health> {
  return waitForHealth(gateway, (h) => h.headSeq >= seq, (h) => `gateway head at ${h.headSeq}, not ${seq},`, timeoutMs);
}

/**
 * Resolves once the gateway reports `seq` as its horizon (after an archive pass; a JetStream
 * gateway hears of a purge through the archiver's announcement on NATS).
 */
export function waitForHorizon(gateway: HealthSource, seq: number, timeoutMs = 10_000): Promise<Health> {
  return waitForHealth(gateway, (h) => h.horizonSeq === seq, (h) => `gateway horizon ${h.horizonSeq}, not ${seq},`, timeoutMs);
}
