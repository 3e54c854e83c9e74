/**
 * What a replica does with a registry event, given the registry it runs. The same decision on
 * every replica (they all ran the same history), so a registry event that does not follow the
 * replica's version — a second version 2 appended by a gateway that lost a race, say — is skipped
 * identically everywhere and recorded as failed.
 * @module
 */
import { readRegistryChange, type WireRegistry } from "@kuzu-sync/protocol";

/** The registry a replica runs, as far as it knows it. */
export interface RunningRegistry {
  readonly hash: string;
  /** null: a replica made before registry versions that has not been told its version yet. */
  readonly version: number | null;
}

export type RegistryStep =
  /** Run `statements`, then record `registry` (creating the meta table when `create`), in one transaction. */
  | { readonly action: "run"; readonly statements: readonly string[]; readonly registry: WireRegistry; readonly create: boolean }
  /** Already in force: the seq moves, nothing else. */
  | { readonly action: "skip" }
  /** Does not apply to this replica: recorded as failed, identically everywhere. */
  | { readonly action: "fail"; readonly reason: string };

/**
 * Decide what the registry event with `params` does on a replica running `current`.
 * @example const step = applyRegistryChange(replicaRegistry, event.params);
 */
export function applyRegistryChange(current: RunningRegistry | null, params: unknown): RegistryStep {
  const read = readRegistryChange(params);
  if (!read.ok) return { action: "fail", reason: read.message };
  const c = read.change;
  if (current !== null && current.hash === c.hash && (current.version === c.version || current.version === null)) {
    // Version already in force (a snapshot or base made after it), or an older replica learning its version.
    return current.version === null ? { action: "run", statements: [], registry: c.registry, create: false } : { action: "skip" };
  }
  switch (c.kind) {
    case "genesis":
      if (current === null) return { action: "run", statements: c.steps, registry: c.registry, create: true };
      return { action: "fail", reason: `genesis of registry version ${c.version} on a replica that already runs ${describe(current)}` };
    case "adopt":
      return {
        action: "fail",
        reason: current === null ? `registry ${c.hash.slice(0, 12)} adopted, but this replica has no registry (it needed the base registry at seq 0)` : `registry ${c.hash.slice(0, 12)} adopted, but this replica runs ${describe(current)}`,
      };
    case "upgrade":
      if (current !== null && current.version === c.version - 1) return { action: "run", statements: c.steps, registry: c.registry, create: false };
      return { action: "fail", reason: `registry version ${c.version} does not follow ${current === null ? "an empty replica" : describe(current)}` };
  }
}

function describe(r: RunningRegistry): string {
  return `${r.version === null ? "a registry from before versions" : `version ${r.version}`} (${r.hash.slice(0, 12)})`;
}
