/**
 * How a replica applies a registry event: registry-change.ts decides what the event does to the
 * registry in force; this runs that decision — the steps and the new registry in one transaction
 * with the event's seq, or only the seq — and reports it. The replica's own state (the registry in
 * force, the applied seq) stays the replica's: it is handed over through {@link RegistryEventHost}.
 * @module
 */
import { ErrorCode, SyncError, type SequencedEvent, type WireRegistry } from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";
import * as k from "./kuzu.ts";
import { createMeta, writeRegistry } from "./meta.ts";
import { applyRegistryChange, type RunningRegistry } from "./registry-change.ts";
import type { ApplyOutcome } from "./replica-types.ts";
import type { WriteSession } from "./write-session.ts";

/** The replica a registry event is applied to. */
export interface RegistryEventHost {
  readonly tx: WriteSession;
  readonly log: Logger;
  /** The registry in force (null: none installed). */
  readonly running: RunningRegistry | null;
  /** SET_SEQ, prepared if needed; throws NOT_READY when no registry is installed. */
  seqStatement(): Promise<k.PreparedStatement>;
  /** Make `registry` the one in force (its templates prepared again on first use). */
  useRegistry(registry: WireRegistry): void;
  /** The applied seq is now `seq`. */
  applied(seq: number): void;
}

/**
 * Apply the registry event `e` (in the write queue, no transaction open).
 * @example outcomes.push(await applyRegistryEvent(e, host));
 */
export async function applyRegistryEvent(e: SequencedEvent, host: RegistryEventHost): Promise<ApplyOutcome> {
  const { tx, log } = host;
  const step = e.duplicateOf !== undefined ? ({ action: "skip" } as const) : applyRegistryChange(host.running, e.params);
  if (step.action === "run") {
    try {
      await tx.transaction(async () => {
        for (const statement of step.statements) await k.run(tx.write, statement);
        if (step.create) await createMeta(tx.write, e.seq, step.registry);
        else await writeRegistry(tx.write, e.seq, step.registry);
      });
    } catch (cause) {
      // Checked against the previous version's schema before it was appended; failing here means
      // this replica's data differs from what the gateway saw. Stop rather than diverge.
      throw new SyncError(
        ErrorCode.INTERNAL,
        `registry version ${step.registry.version} cannot be applied at seq ${e.seq}: ${cause instanceof Error ? cause.message : String(cause)}; this replica stops here`,
        { cause, eventId: e.id },
      );
    }
    host.useRegistry(step.registry);
    await tx.prepareSeq();
    host.applied(e.seq);
    log.info("registry version applied", { seq: e.seq, version: step.registry.version, hash: step.registry.hash.slice(0, 12), steps: step.statements.length });
    return { seq: e.seq, template: e.template, ok: true };
  }
  await k.exec(tx.write, await host.seqStatement(), { seq: e.seq });
  host.applied(e.seq);
  if (step.action === "skip") return { seq: e.seq, template: e.template, ok: true };
  log.warn("registry event does not apply to this replica", { seq: e.seq, error: step.reason });
  return { seq: e.seq, template: e.template, ok: false, error: step.reason };
}
