/**
 * Builds a real embedded event log (@kuzu-sync/log's SqliteEventLog) whose events carry chosen
 * server timestamps: the log's injectable clock is set before each batch, so tests age events
 * explicitly instead of waiting.
 * @module
 */
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { SqliteEventLog } from "@kuzu-sync/log";

export const DAY = 86_400_000;

export interface AgedBatch {
  /** Server timestamp of every event in the batch. */
  readonly at: number;
  readonly count: number;
}

/**
 * Append `count` events per batch at time `at`; record the server replica's position (default:
 * the head, as a caught-up gateway would). Returns every event as stored.
 */
export async function writeAgedLog(dataDir: string, batches: readonly AgedBatch[], replicaSeq: number | "head" = "head"): Promise<SequencedEvent[]> {
  let clock = 0;
  const log = SqliteEventLog.open({ path: join(dataDir, "events.sqlite"), now: () => clock });
  try {
    let n = log.headSeq;
    for (const b of batches) {
      clock = b.at;
      const events = Array.from({ length: b.count }, () => {
        n++;
        return {
          id: `evt-${n}-${crypto.randomUUID()}`,
          template: n % 3 === 0 ? "INCREMENT_COUNTER" : "CREATE_USER",
          params: n % 3 === 0 ? { counterId: `c${n % 7}`, amount: n } : { id: `u${n % 11}`, name: `name ${n} é "q"`, email: null },
          clientId: "aged-writer",
          timestamp: b.at - 5,
        };
      });
      await log.append(events);
    }
    log.recordReplicaSeq(replicaSeq === "head" ? log.headSeq : replicaSeq);
    return await log.read(0, 1_000_000);
  } finally {
    await log.close();
  }
}

/** What the hot log holds now, read straight from the file. */
export function hotLog(dataDir: string): { seqs: number[]; horizon: number | null; ids: number } {
  const db = new Database(join(dataDir, "events.sqlite"), { readonly: true });
  try {
    return {
      seqs: db.query<{ seq: number }, []>("SELECT seq FROM events ORDER BY seq").all().map((r) => r.seq),
      horizon: db.query<{ value: number }, []>("SELECT value FROM meta WHERE key = 'horizon'").get()?.value ?? null,
      ids: db.query<{ n: number }, []>("SELECT count(*) AS n FROM event_ids").get()!.n,
    };
  } finally {
    db.close();
  }
}

/** Seqs from..to inclusive. */
export function seqRange(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
