/**
 * Look at what really is in a JetStream stream and in a stopped gateway's server replica, with a
 * plain NATS client and the Replica class: the checks of the NATS tests read these, not the
 * gateway's own answers.
 * @module
 */
import { connect, type NatsConnection } from "nats";
import { Replica } from "@kuzu-sync/replica";
import { join } from "node:path";
import { graphState } from "./clients.ts";
import type { GatewayProcess } from "./gateway-process.ts";

/** A NATS connection closed when the test's scope ends. */
export async function natsClient(url: string): Promise<NatsConnection & AsyncDisposable> {
  const nc = await connect({ servers: url.split(","), maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  return Object.assign(nc, { [Symbol.asyncDispose]: () => nc.close() });
}

/** Every message of the stream, in order: its seq and the event id in it. */
export async function streamContents(url: string, stream: string): Promise<{ seq: number; id: string }[]> {
  await using nc = await natsClient(url);
  const jsm = await nc.jetstreamManager();
  const { state } = await jsm.streams.info(stream);
  const out: { seq: number; id: string }[] = [];
  if (state.messages === 0) return out;
  const consumer = await nc.jetstream().consumers.get(stream, { opt_start_seq: state.first_seq });
  const messages = await consumer.fetch({ max_messages: state.messages, expires: 10_000 });
  for await (const m of messages) {
    out.push({ seq: m.seq, id: (m.json() as { id: string }).id });
    if (m.seq >= state.last_seq) break;
  }
  await consumer.delete().catch(() => {});
  return out;
}

/** The graph held by a (stopped) gateway's server replica, and the seq it applied. */
export async function serverReplicaState(dataDir: string): Promise<{ appliedSeq: number; state: unknown }> {
  const replica = await Replica.open({ path: join(dataDir, "replica", "db.kuzu") });
  try {
    return { appliedSeq: replica.appliedSeq, state: await graphState(replica) };
  } finally {
    await replica.close();
  }
}

/** GET a gateway's JSON endpoint. */
export async function getJson<T = Record<string, unknown>>(httpUrl: string, path: string): Promise<T> {
  return (await (await fetch(`${httpUrl}${path}`)).json()) as T;
}

/**
 * `promise`, or an error after `ms` that carries `diagnose()` (e.g. the gateways' warnings), so a
 * stuck test says where it stuck instead of hitting the runner's timeout silently.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, diagnose: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${ms} ms\n${diagnose()}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last warning and error lines of a process's log, for failure messages. */
export function warnings(output: readonly string[], n = 20): string {
  return output.filter((l) => /"severityText":"(WARN|ERROR)"/.test(l)).slice(-n).join("\n");
}

/** Resolves once the gateway's server replica applied `seq` (it follows the log in the background). */
export async function serverReplicaAt(gw: GatewayProcess, seq: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await getJson<{ replicaSeq: number }>(gw.httpUrl, "/health");
    if (health.replicaSeq >= seq) return;
    if (Date.now() > deadline) throw new Error(`server replica at ${health.replicaSeq}, expected ${seq}`);
    await Bun.sleep(50);
  }
}

