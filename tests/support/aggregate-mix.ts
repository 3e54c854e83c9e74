/**
 * Workloads and oracles for the aggregate tests (embedded and JetStream gateways): a seeded mix of
 * writes that exercises both example aggregates, what the writers' graph says the aggregates are,
 * and the aggregate endpoints read over HTTP.
 * @module
 */
import { expect } from "bun:test";
import type { SyncClient } from "@kuzu-sync/client";

/** `GET /aggregates/<name>`. */
export interface AggregateValues {
  name: string;
  seq: number;
  fromSeq: number;
  values: Record<string, number>;
}

/** `GET /aggregates/<name>`, which must answer 200. */
export async function httpValues(httpUrl: string, name: string): Promise<AggregateValues> {
  const res = await fetch(`${httpUrl}/aggregates/${name}`);
  expect(res.status).toBe(200);
  return (await res.json()) as AggregateValues;
}

/** What the graph says the aggregates are: the oracle the cache must equal. */
export async function fromGraph(client: Pick<SyncClient, "query">): Promise<{ counters: Record<string, number>; postsByAuthor: Record<string, number> }> {
  const counters = await client.query("MATCH (c:Counter) RETURN c.id AS k, c.value AS v");
  const posts = await client.query("MATCH (p:Post) RETURN p.authorId AS k, count(p) AS v");
  const toRecord = (rows: Record<string, unknown>[]) => Object.fromEntries(rows.map((r) => [String(r["k"]), Number(r["v"])]));
  return { counters: toRecord(counters), postsByAuthor: toRecord(posts) };
}

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** What {@link writeMix} wrote: the highest acked seq, and its distinct events by template and by client. */
export interface MixResult {
  readonly head: number;
  readonly byTemplate: Record<string, number>;
  readonly byClient: Record<string, number>;
}

const bump = (counts: Record<string, number>, key: string) => void (counts[key] = (counts[key] ?? 0) + 1);

/**
 * Writers send interleaved increments, post creates (upserts, author changes), deletes (also of
 * posts that do not exist), and resends of already acknowledged ids, which must be answered as
 * duplicates and never counted again.
 */
export async function writeMix(writers: readonly SyncClient[], rounds: number, seed: number): Promise<MixResult> {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const sends: Promise<{ seq: number; duplicate: boolean }>[] = [];
  const resendable: { w: SyncClient; template: string; params: Record<string, unknown>; id: string }[] = [];
  const byTemplate: Record<string, number> = {};
  const byClient: Record<string, number> = {};
  for (let i = 0; i < rounds; i++) {
    for (const [wi, w] of writers.entries()) {
      const id = `s${seed}-w${wi}-${i}`;
      const r = rand();
      let template: string;
      let params: Record<string, unknown>;
      if (r < 0.45) (template = "INCREMENT_COUNTER"), (params = { counterId: pick(["c1", "c2", "c3"]), amount: Math.floor(rand() * 21) - 5 });
      else if (r < 0.75) (template = "CREATE_POST"), (params = { id: pick(["p1", "p2", "p3", "p4", "p5", "p6"]), authorId: pick(["u1", "u2", "u3"]), content: "x" });
      else (template = "DELETE_POST"), (params = { id: pick(["p1", "p2", "p3", "p4", "p5", "p6", "p-none"]) });
      sends.push(w.executeTemplate(template, params, { id }));
      bump(byTemplate, template);
      bump(byClient, w.clientId);
      if (i % 5 === 0) resendable.push({ w, template, params, id });
    }
  }
  const acks = await Promise.all(sends);
  // Resends of acknowledged ids (as after a lost ack): must be answered, never counted again.
  const resent = await Promise.all(resendable.map((r) => r.w.executeTemplate(r.template, r.params, { id: r.id })));
  expect(resent.every((a) => a.duplicate)).toBe(true);
  return { head: Math.max(...acks.map((a) => a.seq)), byTemplate, byClient };
}
