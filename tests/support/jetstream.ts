/**
 * Look at what really is in a JetStream stream and in a stopped gateway's server replica, with a
 * plain NATS client and the Replica class: the checks of the NATS tests read these, not the
 * gateway's own answers.
 * @module
 */
import { AckPolicy, connect, DeliverPolicy, nanos, type JetStreamManager, type NatsConnection } from "nats";
import { Replica } from "@kuzu-sync/replica";
import { join } from "node:path";
import { graphState } from "./clients.ts";

/** A NATS connection closed when the test's scope ends. */
export async function natsClient(url: string): Promise<NatsConnection & AsyncDisposable> {
  const nc = await connect({ servers: url.split(","), maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  return Object.assign(nc, { [Symbol.asyncDispose]: () => nc.close() });
}

/**
 * Every message of the stream, in order: its seq and the event id in it. Read through a plain
 * ephemeral consumer (the client's ordered consumer can wait for ever for a consumer lost with a
 * killed node); a read that fails while a cluster re-elects leaders is asked again, up to 20 s.
 */
export async function streamContents(url: string, stream: string): Promise<{ seq: number; id: string }[]> {
  await using nc = await natsClient(url);
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      // The manager asks for the account info first: that can time out during an election too.
      const jsm = await nc.jetstreamManager();
      return await withDeadline(readAll(nc, jsm, stream), 10_000, () => `reading stream ${stream}`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await Bun.sleep(250);
    }
  }
}

async function readAll(nc: NatsConnection, jsm: JetStreamManager, stream: string): Promise<{ seq: number; id: string }[]> {
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0) return [];
  const name = `test-read-${crypto.randomUUID()}`;
  await jsm.consumers.add(stream, { name, deliver_policy: DeliverPolicy.All, ack_policy: AckPolicy.None, mem_storage: true, num_replicas: 1, inactive_threshold: nanos(30_000) });
  try {
    const consumer = await nc.jetstream().consumers.get(stream, name);
    const out: { seq: number; id: string }[] = [];
    while (out.length < state.messages) {
      const messages = await consumer.fetch({ max_messages: Math.min(1000, state.messages - out.length), expires: 2_000 });
      let got = 0;
      for await (const m of messages) {
        out.push({ seq: m.seq, id: (m.json() as { id: string }).id });
        got++;
      }
      if (got === 0) throw new Error(`stream ${stream}: ${out.length} of ${state.messages} messages read, then nothing`);
    }
    return out;
  } finally {
    await jsm.consumers.delete(stream, name).catch(() => {});
  }
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

