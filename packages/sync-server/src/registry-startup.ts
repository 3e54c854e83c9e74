/**
 * What a gateway does with its registry file before it serves (docs/PROTOCOL.md §10.3): compare it
 * with the versions in the log (`registry-plan.ts`), check a new version in scratch databases
 * (schema, migrate, every template), give the server replica the registry it starts from, dry-run
 * an upgrade's steps on the server replica, append the registry event, and settle on the registry
 * the gateway then runs. A refusal is a ConfigError naming what differs and what to add.
 * @module
 */
import type { EventLog } from "@kuzu-sync/log";
import { registryEvent, TemplateRegistry, type RegistryChange } from "@kuzu-sync/protocol";
import { checkMigration, checkRegistrySchema, type RegistryProblems, type Replica } from "@kuzu-sync/replica";
import type { Logger } from "@kuzu-sync/telemetry";
import { ConfigError } from "./config.ts";
import { planRegistry, type RegistryPlan, type RegistryPlanInput } from "./registry-plan.ts";

export interface RegistryStartupOptions {
  readonly file: TemplateRegistry;
  readonly log: EventLog;
  /** The server replica, opened, not yet following the log. */
  readonly replica: Replica;
  /** JetStream: the log is shared with other gateways. */
  readonly shared: boolean;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * The plan for `file` against `log`, with a new version checked in scratch databases: an append
 * whose checks fail becomes a refusal listing the problems.
 * @example const plan = await checkedPlan(fileRegistry, { history, headSeq, shared: false, replicaHash });
 */
export async function checkedPlan(file: TemplateRegistry, input: Omit<RegistryPlanInput, "file">): Promise<RegistryPlan> {
  const plan = planRegistry({ ...input, file: file.toWire() });
  if (plan.action !== "append") return plan;
  const problems = plan.previous === null ? await checkRegistrySchema(file.toWire()) : await checkMigration(plan.previous, file.toWire());
  if (problems.ok) return plan;
  return { action: "refuse", reason: describeProblems(plan.change, problems), templates: plan.templates, ...(plan.previous === null ? {} : { previous: plan.previous }) };
}

/**
 * Settle the registry before the gateway serves; returns the registry it runs.
 * @example const current = await settleRegistry({ file, log, replica, shared: false, logger });
 */
export async function settleRegistry(o: RegistryStartupOptions): Promise<TemplateRegistry> {
  const { file, log, replica, logger } = o;
  await installBase(o);
  const plan = await checkedPlan(file, { history: log.registry.entries(), headSeq: log.headSeq, shared: o.shared, replicaHash: replica.registryHash });
  switch (plan.action) {
    case "refuse":
      throw new ConfigError(plan.reason);
    case "none":
      logger.info("registry", { version: file.version, hash: file.hash.slice(0, 12), since: plan.since });
      return file;
    case "adopt":
      logger.warn(`the log is at registry version ${plan.current.version} (since seq ${plan.since}); this gateway's file is version ${plan.fileVersion}: running version ${plan.current.version} from the log`, {
        hint: "deploy the newer registry file (TEMPLATES_PATH) to validate with its zod schemas",
      });
      return TemplateRegistry.fromWire(plan.current);
    case "append": {
      const { change } = plan;
      if (change.kind === "upgrade") await dryRun(o, change);
      const [outcome] = await log.append([registryEvent(change, (o.now ?? Date.now)())]);
      const latest = log.registry.latest();
      if (latest?.version !== change.version || latest.hash !== change.hash) {
        // Another gateway recorded another registry for this version first (JetStream).
        throw new ConfigError(
          `registry version ${change.version} (${change.hash.slice(0, 12)}) was appended at seq ${outcome!.seq}, but the log's version ${latest?.version ?? "none"} ` +
            `is ${latest?.hash.slice(0, 12) ?? "none"}: another gateway recorded a different registry first. Deploy the registry that gateway runs.`,
        );
      }
      // A log from before versions now has its first version: a replica without one starts from it.
      await installBase(o);
      const t = plan.templates;
      logger.info(`registry version ${change.version} recorded in the log`, {
        kind: change.kind,
        seq: outcome!.seq,
        hash: change.hash.slice(0, 12),
        steps: change.steps.length,
        templates: `+${t.added.length} ~${t.changed.length} -${t.removed.length}`,
      });
      if (logger.isEnabled("debug")) logger.debug("registry version templates", { version: change.version, added: t.added, changed: t.changed, removed: t.removed });
      return file;
    }
  }
}

/**
 * A server replica without a registry of its own (new, or from before versions) gets the one in
 * force after its seq, as clients do from `welcome.base`; a new log's genesis event brings it
 * instead. One that runs a version the log does not have belongs to another deployment.
 */
async function installBase({ log, replica }: RegistryStartupOptions): Promise<void> {
  const version = replica.registryVersion;
  if (version !== null) {
    const entry = log.registry.entries().find((e) => e.version === version);
    if (entry !== undefined && entry.hash !== replica.registryHash) {
      throw new ConfigError(
        `the server replica runs registry version ${version} (${String(replica.registryHash).slice(0, 12)}) but the log's version ${version} is ${entry.hash.slice(0, 12)}: ` +
          "it belongs to another deployment. Remove DATA_DIR/replica to rebuild it from the log.",
      );
    }
    return;
  }
  const base = log.registry.inForceAt(replica.appliedSeq + 1);
  if (base !== undefined) await replica.install(base.registry);
}

/**
 * Run an upgrade's steps on the server replica, caught up to the head, in a transaction that is
 * rolled back: steps that fail on the data would stop every replica at the registry event.
 */
async function dryRun({ log, replica }: RegistryStartupOptions, change: RegistryChange): Promise<void> {
  while (replica.appliedSeq < log.headSeq) {
    const events = await log.read(replica.appliedSeq, 5_000);
    if (events.length === 0 || events[0]!.seq !== replica.appliedSeq + 1) break;
    await replica.apply(events);
  }
  const failure = await replica.dryRun(change.steps);
  if (failure !== null) {
    throw new ConfigError(
      `registry version ${change.version}'s migrate fails on the data (server replica at seq ${replica.appliedSeq}): ${failure}. ` +
        "Nothing was recorded; fix the step (it must work on every existing row) and start again.",
    );
  }
}

function describeProblems(change: RegistryChange, p: RegistryProblems): string {
  const lines = [
    ...p.steps,
    ...p.schema.map((d) => `${d.message}${d.suggestion === undefined ? "" : ` — add to migrate: ${d.suggestion}`}`),
    ...p.templates,
  ];
  const what = change.kind === "upgrade" ? `version ${change.version - 1}'s schema plus this registry's migrate does not give its schema` : `the registry's schema does not hold its templates`;
  return `registry version ${change.version} cannot be recorded: ${what}:\n  ${lines.join("\n  ")}`;
}
