/**
 * What a gateway does with the registry it was started with, given the versions the log holds:
 * nothing (same version, same hash), append a registry event (a new log, a log from before
 * registry versions, or the next version), adopt the log's newer version (JetStream: another
 * gateway upgraded first), or refuse with a message that names what differs and what to add.
 * Pure decisions here; `registry-startup.ts` runs the scratch-database checks and appends.
 * @module
 */
import type { RegistryVersionEntry } from "@kuzu-sync/log";
import { registryChange, type RegistryChange, type RegistryChangeKind, type WireRegistry, type WireTemplate } from "@kuzu-sync/protocol";

export interface RegistryPlanInput {
  /** The registry in the file the gateway was started with. */
  readonly file: WireRegistry;
  /** Versions the log holds, ascending (empty for a new log or one from before versions). */
  readonly history: readonly RegistryVersionEntry[];
  /** The log's head seq. */
  readonly headSeq: number;
  /** JetStream: several gateways share the log, so an older file adopts the log's version. */
  readonly shared: boolean;
  /** Hash recorded in the server replica, when it has one (checks a log from before versions). */
  readonly replicaHash: string | null;
}

/** Templates that differ between two versions. */
export interface TemplateChanges {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

export type RegistryPlan =
  | { readonly action: "none"; readonly current: WireRegistry; readonly since: number }
  | { readonly action: "append"; readonly change: RegistryChange; readonly previous: WireRegistry | null; readonly templates: TemplateChanges }
  | { readonly action: "adopt"; readonly current: WireRegistry; readonly since: number; readonly fileVersion: number }
  | { readonly action: "refuse"; readonly reason: string; readonly templates?: TemplateChanges; readonly previous?: WireRegistry };

/**
 * Decide what a start with `input.file` does.
 * @example
 * const plan = planRegistry({ file: registry.toWire(), history, headSeq: log.headSeq, shared: false, replicaHash });
 * if (plan.action === "refuse") throw new ConfigError(plan.reason);
 */
export function planRegistry(input: RegistryPlanInput): RegistryPlan {
  const { file, history, headSeq } = input;
  const latest = history.at(-1);
  if (latest === undefined) {
    if (headSeq === 0) return append("genesis", file, null);
    // Events from before registry versions: they ran with the registry the replicas were built with.
    if (file.version !== 1) {
      return refuse(
        `this log holds ${headSeq} events from before registry versions, and the registry they were built with is not recorded yet. ` +
          `Start once with that registry as version 1 (no \`version\`, no \`migrate\`) to record it, then with version ${file.version}.`,
      );
    }
    if (input.replicaHash !== null && input.replicaHash !== file.hash) {
      return refuse(
        `this log holds ${headSeq} events from before registry versions, built with registry ${short(input.replicaHash)} (the server replica's), ` +
          `but this file is ${short(file.hash)}. Start once with the registry the log was built with (as version 1) to record it, then raise the version for your change.`,
      );
    }
    return append("adopt", file, null);
  }
  const templates = diffTemplates(latest.registry, file);
  if (file.version === latest.version) {
    if (file.hash === latest.hash) return { action: "none", current: latest.registry, since: latest.seq };
    return {
      action: "refuse",
      reason:
        `the log is at registry version ${latest.version} (${short(latest.hash)}, since seq ${latest.seq}) and this file is version ${file.version} ` +
        `with another hash (${short(file.hash)}): ${describeChanges(templates, latest.registry, file)}. ` +
        `Replicas already ran version ${latest.version}'s statements; a change needs a new version: set \`version: ${latest.version + 1}\` and \`migrate\` ` +
        "with the steps from the old schema to the new one ([] when only templates change).",
      templates,
      previous: latest.registry,
    };
  }
  if (file.version < latest.version) {
    if (input.shared) return { action: "adopt", current: latest.registry, since: latest.seq, fileVersion: file.version };
    return refuse(
      `this file is registry version ${file.version} but the log is already at version ${latest.version} (${short(latest.hash)}, since seq ${latest.seq}): ` +
        `a registry version never goes back. Deploy the registry file of version ${latest.version} (or a newer one with \`migrate\` from it).`,
    );
  }
  if (file.version > latest.version + 1) {
    return refuse(
      `the log is at registry version ${latest.version} and this file is version ${file.version}, whose \`migrate\` starts from version ${file.version - 1}: ` +
        `versions ${latest.version + 1}..${file.version - 1} were never started. Start with version ${latest.version + 1} first, or make this file version ${latest.version + 1} ` +
        `with \`migrate\` from version ${latest.version}.`,
    );
  }
  return append("upgrade", file, latest.registry, templates);
}

/**
 * Templates added, changed (statements or parameters) and removed from `before` to `after`.
 * @example diffTemplates(v1, v2) // { added: ["SET_PRIORITY"], changed: [], removed: [] }
 */
export function diffTemplates(before: WireRegistry, after: WireRegistry): TemplateChanges {
  const old = new Map(before.templates.map((t) => [t.name, t]));
  const added: string[] = [];
  const changed: string[] = [];
  for (const t of after.templates) {
    const o = old.get(t.name);
    if (o === undefined) added.push(t.name);
    else if (fingerprint(o) !== fingerprint(t)) changed.push(t.name);
  }
  const now = new Set(after.templates.map((t) => t.name));
  return { added, changed, removed: before.templates.filter((t) => !now.has(t.name)).map((t) => t.name) };
}

function fingerprint(t: WireTemplate): string {
  return JSON.stringify([t.cypher, t.batch ?? null, t.paramsJsonSchema]);
}

function describeChanges(t: TemplateChanges, before: WireRegistry, after: WireRegistry): string {
  const parts: string[] = [];
  if (t.added.length > 0) parts.push(`templates added: ${t.added.join(", ")}`);
  if (t.changed.length > 0) parts.push(`templates changed: ${t.changed.join(", ")}`);
  if (t.removed.length > 0) parts.push(`templates removed: ${t.removed.join(", ")}`);
  if (JSON.stringify(before.schema) !== JSON.stringify(after.schema)) parts.push("the schema changed");
  return parts.length > 0 ? parts.join("; ") : "descriptions or batch keys changed";
}

function append(kind: RegistryChangeKind, file: WireRegistry, previous: WireRegistry | null, templates?: TemplateChanges): RegistryPlan {
  return {
    action: "append",
    change: registryChange(kind, file),
    previous,
    templates: templates ?? { added: file.templates.map((t) => t.name), changed: [], removed: [] },
  };
}

function refuse(reason: string): RegistryPlan {
  return { action: "refuse", reason };
}

const short = (hash: string): string => hash.slice(0, 12);
