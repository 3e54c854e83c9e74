/**
 * `sync-client status [--db PATH] [--json]`: the gateway's health and head, its own replica's
 * position, and where a local persistent replica stands (seq, lag, unacknowledged events).
 * @module
 */
import { existsSync } from "node:fs";
import { Replica } from "@kuzu-sync/replica";
import { sqliteOutbox } from "../sqlite-outbox.ts";
import { ExitCode } from "./exit-codes.ts";
import { formatCount } from "./format.ts";
import { fetchJson, type CliContext, type Health } from "./session.ts";
import { toJson } from "./table.ts";

interface Stats {
  readonly connectedClients?: number;
  readonly events?: { readonly total?: number; readonly perSecondLastMinute?: number };
}

/** Where a local replica stands; `error` when it exists but cannot be read. */
export interface LocalReplicaStatus {
  readonly path: string;
  readonly exists: boolean;
  readonly seq?: number;
  readonly lag?: number;
  readonly pending?: number;
  readonly clientId?: string | null;
  readonly error?: string;
}

/**
 * @example await statusCommand(ctx, { db: "./replica.kuzu", json: false })
 */
export async function statusCommand(ctx: CliContext, options: { readonly db?: string; readonly json: boolean }): Promise<ExitCode> {
  const { term } = ctx;
  const health = await fetchJson<Health>(ctx, "/health");
  const stats = await fetchJson<Stats>(ctx, "/stats");
  const local = options.db === undefined ? null : await inspectReplica(options.db, health.headSeq);
  const healthy = health.status === "ok";
  // An unhealthy gateway says "unavailable" (3) (degraded: a lagging server replica is not); a
  // local replica that cannot be opened is a failure (1).
  const exit = health.status === "unhealthy" || health.status === undefined ? ExitCode.UNAVAILABLE : local?.error !== undefined ? ExitCode.FAILED : ExitCode.OK;
  if (options.json) {
    term.print(toJson({ url: ctx.config.url, health, connectedClients: stats.connectedClients ?? null, eventsPerSecond: stats.events?.perSecondLastMinute ?? null, local }));
    return exit;
  }
  const c = term.colors;
  const rows: [string, string][] = [
    ["server", `${ctx.config.url}  ${healthy ? c.green(health.status) : health.status === "degraded" ? c.yellow(health.status) : c.red(health.status)}`],
    ["server id", health.serverId],
    ["head seq", String(health.headSeq)],
    ["horizon seq", `${health.horizonSeq}${health.horizonSeq > 1 ? c.dim(" (older events archived)") : ""}`],
  ];
  if (health.replicaSeq !== undefined) {
    const seconds = health.replicaLag?.seconds;
    rows.push(["server replica", `seq ${health.replicaSeq}, lag ${lagText(health.headSeq - health.replicaSeq, c.yellow)}${seconds ? ` (${seconds} s)` : ""}`]);
  }
  for (const problem of health.problems ?? []) rows.push(["problem", c.red(problem)]);
  rows.push(["clients", `${stats.connectedClients ?? "?"} connected`]);
  if (stats.events?.perSecondLastMinute !== undefined) rows.push(["events/s", `${stats.events.perSecondLastMinute.toFixed(2)} ${c.dim("(last minute)")}`]);
  if (local === null) rows.push(["local replica", c.dim("none (pass --db PATH to inspect a persistent replica)")]);
  else if (!local.exists) rows.push(["local replica", `${local.path}: ${c.dim("not created yet")}`]);
  else if (local.error !== undefined) rows.push(["local replica", `${local.path}: ${c.red(local.error)}`]);
  else {
    rows.push(["local replica", `${local.path}: seq ${local.seq}, lag ${lagText(local.lag ?? 0, c.yellow)}`]);
    if (local.pending !== undefined) rows.push(["pending", `${formatCount(local.pending)} unacknowledged event(s) in the outbox${local.clientId ? c.dim(` (client ${local.clientId})`) : ""}`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) term.print(`${c.bold(k.padEnd(width))}  ${v}`);
  return exit;
}

function lagText(lag: number, warn: (s: string) => string): string {
  return lag > 0 ? warn(formatCount(lag)) : "0";
}

/** Read a persistent replica's seq and outbox without syncing it (nor creating it). */
export async function inspectReplica(path: string, headSeq: number): Promise<LocalReplicaStatus> {
  if (!existsSync(path)) return { path, exists: false };
  let seq: number;
  try {
    const replica = await Replica.open({ path });
    seq = replica.appliedSeq;
    await replica.close();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { path, exists: true, error: /lock/i.test(message) ? `in use by another process (${message})` : message };
  }
  const outboxPath = `${path}.outbox.sqlite`;
  if (!existsSync(outboxPath)) return { path, exists: true, seq, lag: Math.max(0, headSeq - seq) };
  const outbox = sqliteOutbox(outboxPath);
  try {
    return { path, exists: true, seq, lag: Math.max(0, headSeq - seq), pending: outbox.size, clientId: outbox.meta("clientId") };
  } finally {
    outbox.close();
  }
}
