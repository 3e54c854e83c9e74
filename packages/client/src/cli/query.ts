/**
 * `sync-client query <cypher> [--db PATH] [--json]`: sync a replica, run one read, print it.
 * @module
 */
import type { SyncClient } from "../client.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { openClient, type CliContext } from "./session.ts";
import { formatTable, toJson } from "./table.ts";

export interface QueryOptions {
  /** Persistent replica: synced incrementally, kept between runs. */
  readonly db?: string;
  readonly json: boolean;
}

/**
 * @example await queryCommand(ctx, "MATCH (u:User) RETURN u.id AS id", { json: true })
 */
export async function queryCommand(ctx: CliContext, cypher: string, options: QueryOptions): Promise<ExitCode> {
  if (cypher.trim() === "") throw new CliError("query needs a Cypher statement, e.g. MATCH (u:User) RETURN u.name", ExitCode.USAGE);
  const client = await openClient(ctx, { ...(options.db === undefined ? {} : { dbPath: options.db }), until: "live", progress: true });
  try {
    const rows = await readOnlyQuery(client, cypher);
    ctx.term.print(options.json ? toJson(rows) : formatTable(rows, ctx.term.colors));
    return ExitCode.OK;
  } finally {
    await client.close();
  }
}

/**
 * One read-only statement on the local replica; a failure is a CliError (exit 1) that says why,
 * and a write is refused (writes go through templates, or the replica would diverge).
 * @example const rows = await readOnlyQuery(client, "MATCH (c:Counter) RETURN c.value AS v")
 */
export async function readOnlyQuery(client: SyncClient, cypher: string): Promise<Record<string, unknown>[]> {
  try {
    return await client.query(cypher.trim(), undefined, { readOnly: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/read-only transaction/i.test(message)) {
      throw new CliError("query is read-only on the local replica; writes are template events (see `templates`, `send`)", ExitCode.FAILED, { cause: error });
    }
    if (/multiple statements/i.test(message)) throw new CliError("query takes one statement at a time", ExitCode.FAILED, { cause: error });
    throw new CliError(`query failed: ${message}`, ExitCode.FAILED, { cause: error });
  }
}
