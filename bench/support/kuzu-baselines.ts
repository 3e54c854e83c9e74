/**
 * Baselines that use the `kuzu` package directly, without the replica adapter: set-at-a-time
 * (UNWIND batches in transactions) and naive (one autocommitted statement per event).
 * @module
 */
import kuzu from "kuzu";
import { statementsOf, exampleRegistry } from "@kuzu-sync/protocol";

type Row = { id: string; name: string; email: string | null };
const SCHEMA = "CREATE NODE TABLE User(id STRING, name STRING, email STRING, PRIMARY KEY(id))";

async function withDb<T>(fn: (conn: InstanceType<typeof kuzu.Connection>) => Promise<T>): Promise<T> {
  const db = new kuzu.Database(":memory:");
  const conn = new kuzu.Connection(db);
  try {
    (await conn.query(SCHEMA) as InstanceType<typeof kuzu.QueryResult>).close();
    return await fn(conn);
  } finally {
    await conn.close();
    await db.close();
  }
}

/**
 * Direct set-at-a-time statements: CREATE_USER's batch form as the registry declares it (an upsert,
 * key projected), and a plain CREATE, the fastest way to the same graph when every id is new.
 */
export const BATCHED = {
  upsert: statementsOf(exampleRegistry.toWire().templates.find((t) => t.name === "CREATE_USER")!.batch!.cypher)[0]!,
  insert: "UNWIND $rows AS r CREATE (:User {id: r.id, name: r.name, email: r.email})",
} as const;

/** Events/s applying `rows` with one UNWIND statement per `batch` rows, in its own transaction each. */
export function directBatchedRate(rows: readonly Row[], form: keyof typeof BATCHED = "upsert", batch = 2_000): Promise<number> {
  return withDb(async (conn) => {
    const ps = await conn.prepare(BATCHED[form]);
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += batch) {
      (await conn.execute(ps, { rows: rows.slice(i, i + batch) } as never) as InstanceType<typeof kuzu.QueryResult>).close();
    }
    return rows.length / ((performance.now() - t0) / 1000);
  });
}

/** Events/s applying `rows` one autocommitted statement each. */
export function naiveRate(rows: readonly Row[]): Promise<number> {
  return withDb(async (conn) => {
    const ps = await conn.prepare("MERGE (u:User {id: $id}) SET u.name = $name, u.email = $email");
    const t0 = performance.now();
    for (const r of rows) (await conn.execute(ps, r as never) as InstanceType<typeof kuzu.QueryResult>).close();
    return rows.length / ((performance.now() - t0) / 1000);
  });
}
