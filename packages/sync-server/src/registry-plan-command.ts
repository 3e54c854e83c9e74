/**
 * `sync-server plan --templates FILE [--data-dir DIR | --nats-url URL]`: what a gateway start
 * with this registry file would do to the log's registry (docs/PROTOCOL.md §10.3) — nothing,
 * record a new version (with its steps and the templates added, changed and removed), adopt the
 * log's newer version, or refuse and why — with the scratch-database checks a start runs. Reads
 * the log (read-only) and changes nothing. Exit 0 when a start would go ahead, 2 when it would be
 * refused (or the arguments are wrong), 1 when the log cannot be read.
 * @module
 */
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { archiveKv, readMirroredVersions, RegistryHistory, type RegistryVersionEntry } from "@kuzu-sync/log";
import type { TemplateRegistry } from "@kuzu-sync/protocol";
import { peekReplica } from "@kuzu-sync/replica";
import { connect } from "nats";
import { checkedPlan } from "./registry-startup.ts";
import type { RegistryPlan } from "./registry-plan.ts";
import { loadRegistry } from "./server.ts";

export const PLAN_USAGE = `Usage: sync-server plan [--templates <path>] [--data-dir <dir> | --nats-url <urls> [--stream <name>]] [--json]

Prints what starting a gateway with this registry file would do to the log's registry versions,
and changes nothing: nothing (same version), record a new version (its steps; the templates added,
changed and removed), adopt the log's newer version (JetStream), or refuse, saying what differs and
what to add. The registry is checked in scratch databases as a start checks it. Exit 0 when a start
would go ahead, 2 when it would be refused, 1 when the log cannot be read.

Options:
  --templates <path>   TEMPLATES_PATH   module exporting the registry (default: the example registry)
  --data-dir <dir>     DATA_DIR         a gateway's data directory (embedded log, or a JetStream index)
  --nats-url <urls>    NATS_URL         read the versions of a JetStream log from NATS instead
  --stream <name>      NATS_STREAM      the JetStream stream (default KUZU_SYNC_EVENTS)
  --json                                the plan as JSON
  -h, --help                            this text
`;

/** Where the command writes. */
export interface PlanIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The log as `plan` sees it. */
interface LogView {
  readonly where: string;
  readonly history: readonly RegistryVersionEntry[];
  readonly headSeq: number;
  readonly shared: boolean;
  readonly replicaHash: string | null;
  readonly notes: readonly string[];
}

/**
 * Runs `sync-server plan` with the arguments after `plan`; resolves with the exit status.
 * @example process.exitCode = await runPlanCommand(["--templates", "./registry.ts"], { out, err, env: process.env });
 */
export async function runPlanCommand(args: readonly string[], io: PlanIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        templates: { type: "string" },
        "data-dir": { type: "string" },
        "nats-url": { type: "string" },
        stream: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    io.err(`sync-server plan: ${(error as Error).message} (see sync-server plan --help)\n`);
    return 2;
  }
  if (parsed.help) {
    io.out(PLAN_USAGE);
    return 0;
  }
  const path = parsed.templates ?? io.env["TEMPLATES_PATH"] ?? null;
  let file: TemplateRegistry;
  try {
    file = await loadRegistry(path === null ? null : resolve(path));
  } catch (error) {
    io.err(`sync-server plan: ${(error as Error).message}\n`);
    return 2;
  }
  const natsUrl = parsed["nats-url"] ?? (parsed["data-dir"] === undefined ? io.env["NATS_URL"] : undefined);
  let log: LogView;
  try {
    log = natsUrl
      ? await streamView(natsUrl, parsed.stream ?? io.env["NATS_STREAM"] ?? "KUZU_SYNC_EVENTS")
      : await dataDirView(parsed["data-dir"] ?? io.env["DATA_DIR"] ?? "./data");
  } catch (error) {
    io.err(`sync-server plan: cannot read the log: ${(error as Error).message}\n`);
    return 1;
  }
  const plan = await checkedPlan(file, { history: log.history, headSeq: log.headSeq, shared: log.shared, replicaHash: log.replicaHash });
  if (parsed.json) io.out(`${JSON.stringify({ file: { version: file.version, hash: file.hash }, log: { where: log.where, headSeq: log.headSeq, versions: log.history.map(({ version, seq, hash }) => ({ version, seq, hash })), notes: log.notes }, plan: jsonPlan(plan) }, null, 2)}\n`);
  else io.out(describe(file, log, plan));
  return plan.action === "refuse" ? 2 : 0;
}

async function dataDirView(dir: string): Promise<LogView> {
  const embedded = join(dir, "events.sqlite");
  const index = join(dir, "jetstream-index.sqlite");
  const path = existsSync(embedded) ? embedded : existsSync(index) ? index : null;
  const notes: string[] = [];
  let history: RegistryVersionEntry[] = [];
  let headSeq = 0;
  if (path === null) {
    notes.push(`no log in ${dir} yet: a start would create one`);
  } else {
    const db = new Database(path, { readonly: true });
    try {
      history = RegistryHistory.read(db);
      const head = db.query<{ value: string | number }, []>("SELECT value FROM meta WHERE key = 'head'").get();
      headSeq = Number(head?.value ?? 0);
    } finally {
      db.close();
    }
  }
  let replicaHash: string | null = null;
  try {
    replicaHash = (await peekReplica(join(dir, "replica", "db.kuzu")))?.hash ?? null;
  } catch (error) {
    notes.push(`the server replica could not be read (${(error as Error).message.split("\n")[0]}); a start also checks it`);
  }
  return { where: path ?? dir, history, headSeq, shared: path === index, replicaHash, notes };
}

async function streamView(url: string, stream: string): Promise<LogView> {
  const nc = await connect({ servers: url.split(","), timeout: 5_000, reconnect: false });
  try {
    const info = await (await nc.jetstreamManager()).streams.info(stream).catch(() => null);
    const history = await readMirroredVersions(await archiveKv(nc.jetstream(), 1), stream);
    const notes = info === null ? [`stream ${stream} does not exist yet: a start would create it`] : [];
    return { where: `${stream} on ${url}`, history, headSeq: info?.state.last_seq ?? 0, shared: true, replicaHash: null, notes };
  } finally {
    await nc.close();
  }
}

function jsonPlan(plan: RegistryPlan): Record<string, unknown> {
  switch (plan.action) {
    case "append":
      return { action: "append", kind: plan.change.kind, version: plan.change.version, hash: plan.change.hash, steps: plan.change.steps, templates: plan.templates };
    case "refuse":
      return { action: "refuse", reason: plan.reason, ...(plan.templates === undefined ? {} : { templates: plan.templates }) };
    case "none":
      return { action: "none", version: plan.current.version, since: plan.since };
    case "adopt":
      return { action: "adopt", version: plan.current.version, since: plan.since, fileVersion: plan.fileVersion };
  }
}

function describe(file: TemplateRegistry, log: LogView, plan: RegistryPlan): string {
  const lines = [
    `registry file: version ${file.version} (${file.hash.slice(0, 12)}), ${file.names().length} templates`,
    `log: ${log.where}, head seq ${log.headSeq}, versions: ${log.history.map((e) => `v${e.version} at seq ${e.seq} (${e.hash.slice(0, 12)})`).join(", ") || "none"}`,
    ...log.notes.map((n) => `note: ${n}`),
  ];
  const list = (what: string, names: readonly string[]) => `  templates ${what}: ${names.join(", ") || "none"}`;
  switch (plan.action) {
    case "none":
      lines.push(`plan: nothing to do — the log is at this version since seq ${plan.since}`);
      break;
    case "adopt":
      lines.push(`plan: adopt version ${plan.current.version} from the log (since seq ${plan.since}); this file is version ${plan.fileVersion}`);
      break;
    case "append": {
      const { change } = plan;
      const what = change.kind === "genesis" ? `record version ${change.version} as the log's first registry (its schema runs on every replica)` : change.kind === "adopt" ? `record version ${change.version} as the registry of the events already in the log` : `upgrade to version ${change.version}`;
      lines.push(`plan: ${what}, in a registry event at seq ${log.headSeq + 1}`);
      lines.push(`  steps (${change.steps.length}):`, ...change.steps.map((s) => `    ${s}`));
      lines.push(list("added", plan.templates.added), list("changed", plan.templates.changed), list("removed", plan.templates.removed));
      lines.push("  checked in scratch databases: the schema, the steps and every template");
      break;
    }
    case "refuse":
      lines.push(`plan: a start would be REFUSED: ${plan.reason}`);
      break;
  }
  lines.push("nothing was changed");
  return `${lines.join("\n")}\n`;
}
