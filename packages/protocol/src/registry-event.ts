/**
 * Registry events: how a registry version travels through the log. The gateway that starts with a
 * registry newer than the log's appends one event of the reserved template `KUZU_SYNC_REGISTRY`
 * holding the version, its hash, its whole wire form and the steps to run; every replica runs the
 * steps at that seq, in one transaction with the seq, and applies later events with the new
 * templates. Events before it keep running with the version in force when they were sequenced,
 * because the log keeps every version. See docs/PROTOCOL.md §10.
 * @module
 */
import { z } from "zod";
import type { ClientEvent } from "./event.ts";
import type { WireRegistry } from "./templates.ts";
import { WireRegistrySchema } from "./wire-registry.ts";

/**
 * Template name of registry events. No registry may define a template starting with `KUZU_SYNC`.
 * @example if (event.template === REGISTRY_TEMPLATE) await applyRegistryChange(event);
 */
export const REGISTRY_TEMPLATE = "KUZU_SYNC_REGISTRY";

/** Template names kuzu-sync keeps for its own events (the registry event, …); no registry may use them. */
export const RESERVED_PREFIX = "KUZU_SYNC";

/** Client id the gateways sign registry events with. */
export const REGISTRY_CLIENT_ID = "kuzu-sync";

/**
 * - `genesis`: the first version of a new log; `steps` is its whole schema, run on an empty replica.
 * - `upgrade`: version n-1 → n; `steps` is the registry's `migrate`.
 * - `adopt`: records the registry of a log that has events from before registry versions (it was
 *   in force from seq 1); no steps — every replica of that log already has its schema.
 */
export type RegistryChangeKind = "genesis" | "upgrade" | "adopt";

/** The params of a registry event. */
export interface RegistryChange {
  readonly kind: RegistryChangeKind;
  readonly version: number;
  readonly hash: string;
  readonly registry: WireRegistry;
  readonly steps: readonly string[];
}

const RegistryChangeSchema = z.strictObject({
  kind: z.enum(["genesis", "upgrade", "adopt"]),
  version: z.number().int().positive(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  registry: WireRegistrySchema,
  steps: z.array(z.string()),
});

/**
 * The change that records `registry` in a log.
 * @example const change = registryChange("upgrade", registry.toWire());
 */
export function registryChange(kind: RegistryChangeKind, registry: WireRegistry): RegistryChange {
  const steps = kind === "genesis" ? registry.schema : kind === "upgrade" ? registry.migrate : [];
  return { kind, version: registry.version, hash: registry.hash, registry, steps: [...steps] };
}

/**
 * The id of the registry event for a version: the same on every gateway, so two gateways that
 * append the same version at once store it once (the log dedupes by id).
 * @example registryEventId(2, hash) // "kuzu-sync-registry-v2-<hash>"
 */
export function registryEventId(version: number, hash: string): string {
  return `kuzu-sync-registry-v${version}-${hash}`;
}

/**
 * The event a gateway appends to record `change`.
 * @example await log.append([registryEvent(change, Date.now())]);
 */
export function registryEvent(change: RegistryChange, timestamp: number): ClientEvent {
  return {
    id: registryEventId(change.version, change.hash),
    template: REGISTRY_TEMPLATE,
    params: { ...change, steps: [...change.steps] } as unknown as Record<string, unknown>,
    clientId: REGISTRY_CLIENT_ID,
    timestamp,
  };
}

/** Outcome of {@link readRegistryChange}. */
export type RegistryChangeRead = { readonly ok: true; readonly change: RegistryChange } | { readonly ok: false; readonly message: string };

/**
 * Decode the params of a registry event. Everything about it is checked (a log is not trusted
 * more than a frame): the shape, that `version` and `hash` match the registry they describe, and
 * that `steps` are what the kind says.
 * @example const r = readRegistryChange(event.params); if (!r.ok) recordFailed(event, r.message);
 */
export function readRegistryChange(params: unknown): RegistryChangeRead {
  const parsed = RegistryChangeSchema.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `malformed registry event: ${issue ? `${issue.path.join(".") || "params"}: ${issue.message}` : "invalid"}` };
  }
  const change = parsed.data as RegistryChange;
  if (change.version !== change.registry.version || change.hash !== change.registry.hash) {
    return { ok: false, message: `registry event says version ${change.version} (${change.hash.slice(0, 12)}) but holds version ${change.registry.version} (${change.registry.hash.slice(0, 12)})` };
  }
  const expected = registryChange(change.kind, change.registry).steps;
  if (expected.length !== change.steps.length || expected.some((s, i) => s !== change.steps[i])) {
    return { ok: false, message: `registry event of kind ${change.kind} must carry ${change.kind === "genesis" ? "the schema" : change.kind === "upgrade" ? "the registry's migrate" : "no"} steps` };
  }
  if (change.kind === "upgrade" && change.version < 2) return { ok: false, message: "an upgrade is to version 2 or later" };
  return { ok: true, change };
}
