import { afterAll, describe, expect, test } from "bun:test";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import { classifyApplyError } from "./apply-errors.ts";
import * as k from "./kuzu.ts";

/** Errors as Kuzu 0.11.3 really produces them, from a scratch in-memory database. */
const db = k.openDatabase(null);
const conn = k.openConnection(db);
afterAll(async () => {
  await conn.close();
  await db.close();
});

async function kuzuError(statement: string, params: Record<string, unknown> = {}): Promise<unknown> {
  try {
    await k.runPrepared(conn, statement, params);
  } catch (error) {
    return error;
  }
  throw new Error(`${statement} did not fail`);
}

describe("classifyApplyError on Kuzu's own errors", () => {
  test("errors the statement causes on the shared state are deterministic", async () => {
    await k.run(conn, "CREATE NODE TABLE T(id STRING, n INT8, PRIMARY KEY(id))");
    await k.run(conn, "CREATE NODE TABLE U(id STRING, PRIMARY KEY(id))");
    await k.run(conn, "CREATE REL TABLE R(FROM T TO U, ONE_ONE)");
    await k.run(conn, "CREATE (:T {id: 'a'}), (:U {id: 'x'}), (:U {id: 'y'})");
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["CREATE (:T {id: 'a'})", {}, /^Runtime exception: Found duplicated primary key value a/],
      ["CREATE (:T {id: $id})", { id: null }, /^Runtime exception: Found NULL, which violates the non-null constraint/],
      ["MATCH (t:T {id: 'a'}) SET t.n = $n", { n: 300 }, /^Overflow exception: Value 300 is not within INT8 range/],
      ["MATCH (t:T {id: 'a'}) SET t.n = $n", { n: "x" }, /^Binder exception: Expression \$n has data type STRING/],
      ["MATCH (t:Nope) RETURN t", {}, /^Binder exception: Table Nope does not exist/],
      ["RETURN CAST($s AS INT64)", { s: "abc" }, /^Conversion exception: Cast failed/],
      ["RETURN 1 / $z", { z: 0 }, /^Runtime exception: Divide by zero/],
      ["RETURN [1, 2][$i]", { i: 5 }, /^Runtime exception: list_extract/],
      ["MATCH (t:T REMOVE", {}, /^Parser exception: /],
    ];
    for (const [statement, params, message] of cases) {
      const error = await kuzuError(statement, params);
      expect(String((error as Error).message)).toMatch(message);
      expect(classifyApplyError(error)).toEqual({ deterministic: true, message: (error as Error).message });
    }
    // ONE_ONE: a second relationship from the same node.
    await k.run(conn, "MATCH (t:T {id: 'a'}), (u:U {id: 'x'}) CREATE (t)-[:R]->(u)");
    const multiplicity = await kuzuError("MATCH (t:T {id: 'a'}), (u:U {id: 'y'}) CREATE (t)-[:R]->(u)");
    expect(String(multiplicity)).toMatch(/Runtime exception: .*has more than one neighbour/);
    expect(classifyApplyError(multiplicity).deterministic).toBe(true);
  });

  test("a prepare failure wrapped by kuzu.ts is judged by Kuzu's message", async () => {
    const error = await k.prepare(conn, "MATCH (t:Missing) RETURN t").catch((e: unknown) => e);
    expect(String(error)).toMatch(/^Error: cannot prepare MATCH \(t:Missing\) RETURN t: Binder exception/);
    expect(classifyApplyError(error).deterministic).toBe(true);
  });

  test("the query timeout (Interrupted.) and transaction faults are not the statement's", async () => {
    const interrupted = await k
      .withQueryTimeout(conn, 50, () => k.runPrepared(conn, "UNWIND range(1, 40000) AS i UNWIND range(1, 40000) AS j WITH i, j WHERE i + j = -1 RETURN count(*)"))
      .catch((e: unknown) => e);
    expect(String((interrupted as Error).message)).toBe("Interrupted.");
    expect(classifyApplyError(interrupted)).toMatchObject({ deterministic: false, kind: "interrupted" });
    await k.run(conn, "BEGIN TRANSACTION");
    const nested = await k.run(conn, "BEGIN TRANSACTION").catch((e: unknown) => e);
    await k.run(conn, "ROLLBACK").catch(() => {}); // the failed BEGIN may have ended it already
    expect(String((nested as Error).message)).toMatch(/already has an active transaction/);
    expect(classifyApplyError(nested)).toMatchObject({ deterministic: false, kind: "transaction" });
  });
});

describe("classifyApplyError on messages Kuzu gives for storage, memory and I/O", () => {
  test.each([
    ["IO exception: Cannot write to file /data/db.kuzu.wal: No space left on device", "io"],
    ["Buffer manager exception: Unable to allocate memory! The buffer pool is full and no memory could be freed!", "buffer manager"],
    ["Storage exception: Page 12 of file x is corrupted", "storage"],
    ["Runtime exception: Write-write conflict of updating the same row.", "runtime (storage)"],
    ["Runtime exception: Corrupted wal file. Read out invalid WAL record type.", "runtime (storage)"],
    ["Runtime exception: The overflow file has been corrupted, this should never happen.", "runtime (storage)"],
    ["Catalog exception: Write-write conflict on creating catalog entry with name T.", "catalog (storage)"],
    ["Connection exception: the database is closed", "connection"],
    ["std::bad_alloc", "memory"],
    ["No active transaction for COMMIT.", "transaction"],
    ["Some internal assertion failed", "engine"],
  ])("%s → not deterministic (%s)", (message, kind) => {
    expect(classifyApplyError(new Error(message))).toEqual({ deterministic: false, message, kind });
  });

  test("our own refusals are deterministic; other SyncErrors and non-errors are not", () => {
    for (const code of [ErrorCode.RAW_DML_FORBIDDEN, ErrorCode.INVALID_PARAMS, ErrorCode.UNKNOWN_TEMPLATE, ErrorCode.RAW_DML_DISABLED]) {
      expect(classifyApplyError(new SyncError(code, "refused")).deterministic).toBe(true);
    }
    expect(classifyApplyError(new SyncError(ErrorCode.APPLY_TIMEOUT, "slow"))).toMatchObject({ deterministic: false, kind: "APPLY_TIMEOUT" });
    expect(classifyApplyError(new SyncError(ErrorCode.NOT_READY, "no registry"))).toMatchObject({ deterministic: false, kind: "NOT_READY" });
    expect(classifyApplyError(new SyncError(ErrorCode.INTERNAL, "wrapped", { cause: new Error("Binder exception: x") })).deterministic).toBe(true);
    expect(classifyApplyError("a string")).toMatchObject({ deterministic: false, kind: "unknown" });
    expect(classifyApplyError(new TypeError("undefined is not a function")).deterministic).toBe(false);
  });
});
