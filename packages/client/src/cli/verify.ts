/**
 * `sync-client verify [--db PATH] [--repair] [--json]`: sync a replica, then compare its graph
 * digest with the gateway's server replica at the same seq (`client.verify()`, docs/PROTOCOL.md
 * §11). Without `--db` a fresh in-memory replica is built from the log: that checks the gateway's
 * log against its own replica. With `--repair` a replica that differs is rebuilt from the gateway's
 * snapshot (its outbox is kept) and verified again. Exit 0 when they match, 5 when they differ.
 * @module
 */
import type { VerifyResult } from "../replica-verify.ts";
import type { SyncClient } from "../client.ts";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";
import { CliError, ExitCode } from "./exit-codes.ts";
import { abortable, openClient, withTimeout, type CliContext } from "./session.ts";
import { toJson } from "./table.ts";

export interface VerifyOptions {
  readonly db?: string;
  readonly repair: boolean;
  readonly json: boolean;
}

/**
 * @example await verifyCommand(ctx, { db: "./replica.kuzu", repair: true, json: false })
 */
export async function verifyCommand(ctx: CliContext, options: VerifyOptions): Promise<ExitCode> {
  const client = await openClient(ctx, { ...(options.db === undefined ? {} : { dbPath: options.db }), until: "live", progress: true });
  try {
    const first = await abortable(client.verify({ timeoutMs: Math.max(ctx.config.timeoutMs, 60_000) }), ctx.signal).catch(unavailable);
    let repaired: VerifyResult | null = null;
    if (!first.match && options.repair) repaired = await repair(ctx, client);
    const final = repaired ?? first;
    if (options.json) ctx.term.print(toJson({ url: ctx.config.url, db: options.db ?? null, ...first, ...(repaired === null ? {} : { repaired }) }));
    else {
      print(ctx, first);
      if (repaired !== null) {
        ctx.term.note(`rebuilt ${options.db ?? "the replica"} from the gateway's snapshot`);
        print(ctx, repaired);
      } else if (!first.match) ctx.term.note("run again with --repair to rebuild it from the gateway's snapshot (the outbox is kept)");
    }
    return final.match ? ExitCode.OK : ExitCode.DIVERGED;
  } finally {
    await client.close();
  }
}

/** The gateway cannot give a digest now (its replica stopped, or not there yet): "unavailable" (3), not a failure of this replica. */
function unavailable(error: unknown): never {
  if (error instanceof SyncError && (error.code === ErrorCode.APPLY_STOPPED || error.code === ErrorCode.NOT_READY)) {
    throw new CliError(`the gateway cannot give its digest now (${error.code}): ${error.message}`, ExitCode.UNAVAILABLE, { cause: error });
  }
  throw error;
}

/** Rebuild from the snapshot (started by verify), wait until caught up again, verify again. */
async function repair(ctx: CliContext, client: SyncClient): Promise<VerifyResult> {
  const rebuilt = new Promise<void>((resolve) => {
    const off = client.on("snapshot", (p) => {
      if (p.phase === "done") (off(), resolve());
    });
  });
  await client.verify({ repair: true, timeoutMs: Math.max(ctx.config.timeoutMs, 60_000) });
  await abortable(withTimeout(rebuilt, Math.max(ctx.config.timeoutMs, 120_000), (ms) => `the replica was not rebuilt within ${ms} ms`), ctx.signal);
  await abortable(client.connect(), ctx.signal);
  return abortable(client.verify({ timeoutMs: Math.max(ctx.config.timeoutMs, 60_000) }), ctx.signal);
}

function print(ctx: CliContext, r: VerifyResult): void {
  const c = ctx.term.colors;
  const what = (d: VerifyResult["local"]) => `${d.sha256.slice(0, 16)}…  ${d.nodes} nodes, ${d.relationships} relationships`;
  ctx.term.print(r.match ? `${c.green("match")} at seq ${r.seq}: ${what(r.local)}` : `${c.red("DIFFERENT")} at seq ${r.seq}:\n  local   ${what(r.local)}\n  server  ${what(r.server)}`);
}
