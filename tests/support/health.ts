/**
 * Reading the gateway's GET /health, and waiting for its server replica to reach a seq.
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

/**
 * Resolves once the gateway's server replica has applied `seq` (it applies in the background;
 * the gateway has no push notification for it, so this polls /health until a deadline).
 */
export async function waitForReplica(httpUrl: string, seq: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await health(httpUrl);
    if (h.replicaSeq >= seq) return;
    if (Date.now() > deadline) throw new Error(`server replica at ${h.replicaSeq}, not ${seq}, after ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

/**
 * Resolves once the gateway reports `seq` as its horizon (after an archive pass; a JetStream
 * gateway hears of a purge through the archiver's announcement on NATS).
 */
export async function waitForHorizon(httpUrl: string, seq: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await health(httpUrl);
    if (h.horizonSeq === seq) return;
    if (Date.now() > deadline) throw new Error(`gateway horizon ${h.horizonSeq}, not ${seq}, after ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}
