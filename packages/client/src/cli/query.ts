/**
 * `sync-client query <cypher> [--db PATH] [--json]`: sync a replica, run one read, print it.
 * @module
 */
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
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
 * One statement on the local replica. The replica refuses writes (FORBIDDEN: a local write would
 * diverge it from every other replica for good); any failure is a CliError (exit 1) that says why.
 * @example const rows = await readOnlyQuery(client, "MATCH (c:Counter) RETURN c.value AS v")
 */
export async function readOnlyQuery(client: SyncClient, cypher: string): Promise<Record<string, unknown>[]> {
  try {
    return await client.query(cypher.trim());
  } catch (error) {
    if (error instanceof SyncError && error.code === ErrorCode.FORBIDDEN) {
      throw new CliError(`${error.message} (see \`templates\`, \`send\`)`, ExitCode.FAILED, { cause: error });
    }
    throw new CliError(`query failed: ${error instanceof Error ? error.message : String(error)}`, ExitCode.FAILED, { cause: error });
  }
}
