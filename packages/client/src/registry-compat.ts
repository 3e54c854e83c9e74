/**
 * Whether a local replica belongs to the deployment a gateway serves, judged by the registry
 * versions in the `welcome` (docs/PROTOCOL.md §10.4): a replica that runs a version the log has,
 * with the same hash, catches up through the later registry events and upgrades in place. Anything
 * else is another deployment (or a server that lost history), and the client stops rather than
 * apply the wrong events to it.
 * @module
 */
import type { RegistryHistoryEntry, WelcomeMessage } from "@kuzu-sync/protocol";

/** What the local replica runs. `version` null: none recorded (a replica from before versions). */
export interface LocalRegistry {
  readonly hash: string | null;
  readonly version: number | null;
}

/**
 * Null when the replica may go on with this server; otherwise why not, in a sentence.
 * @example const problem = registryProblem({ hash: replica.registryHash, version: replica.registryVersion }, welcome);
 */
export function registryProblem(local: LocalRegistry, welcome: Pick<WelcomeMessage, "registry" | "registryHistory">): string | null {
  if (local.hash === null) return null;
  const history = welcome.registryHistory;
  if (history === undefined || history.length === 0) {
    // A server from before registry versions: one registry, by hash.
    return local.hash === welcome.registry.hash ? null : `the local replica runs registry ${short(local.hash)}, the server ${short(welcome.registry.hash)}`;
  }
  if (local.version === null) {
    return history.some((e) => e.hash === local.hash) || local.hash === welcome.registry.hash
      ? null
      : `the local replica runs registry ${short(local.hash)}, which is none of the server's versions (${describe(history)})`;
  }
  const entry = history.find((e) => e.version === local.version);
  if (entry === undefined) {
    const latest = history.at(-1)!;
    return local.version > latest.version
      ? `the local replica runs registry version ${local.version}, newer than the server's latest (${latest.version}): the server lost history or is another deployment`
      : `the server's log has no registry version ${local.version} (${describe(history)})`;
  }
  return entry.hash === local.hash ? null : `the local replica runs registry version ${local.version} as ${short(local.hash)}, but the server's version ${local.version} is ${short(entry.hash)}`;
}

/**
 * Whether a snapshot built with `(version, hash)` belongs to the deployment in `welcome`.
 * @example if (!registryKnown(welcome, snapshot.registryVersion, snapshot.registryHash)) refuse();
 */
export function registryKnown(welcome: Pick<WelcomeMessage, "registry" | "registryHistory">, version: number | null, hash: string | null): boolean {
  return hash !== null && registryProblem({ hash, version }, welcome) === null;
}

function describe(history: readonly RegistryHistoryEntry[]): string {
  return history.map((e) => `v${e.version} ${short(e.hash)}`).join(", ");
}

const short = (hash: string): string => hash.slice(0, 12);
