/**
 * The kuzu-wasm half of the reproduction (run.ts bundles it for the browser): the raw kuzu-wasm
 * 0.11.3 API, no kuzu-sync code, each case's observations in `globalThis.reproResults`.
 * @module
 */
import kuzu from "kuzu-wasm";

type Results = Record<string, unknown>;

async function rows(conn: InstanceType<typeof kuzu.Connection>, statement: string): Promise<Record<string, unknown>[]> {
  const r = await conn.query(statement);
  try {
    return await r.getAllObjects();
  } finally {
    await r.close();
  }
}

async function main(): Promise<Results> {
  const out: Results = { version: await kuzu.getVersion() };
  const db = new kuzu.Database(":memory:");
  const conn = new kuzu.Connection(db);
  await rows(conn, "CREATE NODE TABLE T(id STRING, score DOUBLE, PRIMARY KEY(id))");

  // 1. UNWIND over a list of structs whose DOUBLE field holds integral and fractional JS numbers.
  const batch = await conn.prepare("UNWIND $rows AS r CREATE (:T {id: r.id, score: r.score})");
  for (const list of [[{ id: "a", score: 2.5 }, { id: "b", score: 3 }], [{ id: "c", score: 3 }, { id: "d", score: 2.5 }]]) {
    await (await conn.execute(batch, { rows: list })).close();
  }
  const single = await conn.prepare("CREATE (:T {id: $id, score: $score})");
  await (await conn.execute(single, { id: "e", score: 3 })).close();
  out["unwindMixedNumbers"] = (await rows(conn, "MATCH (t:T) RETURN t.id AS id, t.score AS score ORDER BY id")).map((r) => [r["id"], Number(r["score"])]);

  // 2. INT64 values come back boxed.
  const [n] = await rows(conn, "RETURN CAST(42 AS INT64) AS n");
  out["int64"] = { typeof: typeof n?.["n"], isNumberObject: n?.["n"] instanceof Number, strictlyEqual42: n?.["n"] === 42 };

  // 3. A prepared statement's error message is a Promise.
  const bad = await conn.prepare("MATCH (x:Nope) RETURN x");
  const message = bad.getErrorMessage();
  out["preparedError"] = { isSuccess: bad.isSuccess(), getErrorMessageReturnsPromise: message instanceof Promise, message: await message };
  await bad.close();

  // 4. A failing query throws before its QueryResult is handed out: nothing to close.
  try {
    await conn.query("MATCH (x:Nope) RETURN x");
    out["failingQuery"] = "resolved";
  } catch (error) {
    out["failingQuery"] = { threw: String(error) };
  }

  // 5. EXPORT DATABASE into the worker's in-memory file system and IMPORT it into a new database.
  await rows(conn, "EXPORT DATABASE '/snapshot' (format='parquet')");
  const files = (await kuzu.FS.readDir("/snapshot")).filter((f) => f !== "." && f !== "..").sort();
  const copy = new kuzu.Database(":memory:");
  const copyConn = new kuzu.Connection(copy);
  await rows(copyConn, "IMPORT DATABASE '/snapshot'");
  const [count] = await rows(copyConn, "MATCH (t:T) RETURN count(*) AS n");
  out["exportImportMemfs"] = { files, importedRows: Number(count?.["n"]) };
  await copyConn.close();
  await copy.close();

  await batch.close();
  await single.close();
  await conn.close();
  await db.close();
  return out;
}

main().then(
  (results) => Object.assign(globalThis, { reproResults: results }),
  (error: unknown) => Object.assign(globalThis, { reproResults: { error: String(error) } }),
);
