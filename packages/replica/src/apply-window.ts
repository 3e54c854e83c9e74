/**
 * Applying one window of events in one transaction, in the order `planApply` gives.
 *
 * When the transaction fails it is rolled back and the caller is told how far it must go one
 * event per transaction ({@link WindowRolledBack}): up to the event whose single statement failed,
 * or up to the last event of a batch statement that failed (which row is unknown). The caller
 * applies those events alone, in seq order, recording each one's real outcome, and the rest as a
 * new window. The window is deliberately not retried without the failing event: after a rollback
 * that reopened the database (reopen.ts), Kuzu 0.11 can lose a `SET` on a relationship that was
 * created, read and updated again within the next transaction (docs/BATCH-FORMS.md), which made a
 * batched replica differ from one applied an event at a time. Only a failure the statement itself
 * causes is the event's (`deterministic`, see apply-errors.ts); any other failure is thrown after
 * the rollback, and the replica takes over (one event per transaction, stopping before the one
 * that cannot run).
 * @module
 */
import type { SequencedEvent } from "@kuzu-sync/protocol";
import { planApply, type PlanStep, type PlanTemplate } from "./apply-plan.ts";
import type { ApplyStrategy } from "./apply-strategy.ts";

/** The Kuzu side of a window, provided by the replica (all on its write connection). */
export interface WindowExecutor<T extends PlanTemplate> {
  readonly maxRows: number;
  readonly strategy: ApplyStrategy<T>;
  templateOf(e: SequencedEvent): T | null;
  hasBatch(template: T): boolean;
  begin(): Promise<void>;
  /** The template's single form for one event. */
  single(template: T, e: SequencedEvent): Promise<void>;
  /** The template's batch form for events that touch disjoint entities. */
  batch(template: T, events: readonly SequencedEvent[]): Promise<void>;
  /** Record `lastSeq` as applied and commit. */
  commit(lastSeq: number): Promise<void>;
  /** Roll back (and recover from what a rollback may leave behind, see `reopen.ts`). */
  rollback(): Promise<void>;
  /** Whether an event's failure is the statement's own, the same on every replica (apply-errors.ts). */
  deterministic(cause: unknown): boolean;
}

/** One event's single form failed: the event fails when applied alone too. */
class EventFailure {
  constructor(
    readonly event: SequencedEvent,
    readonly cause: unknown,
  ) {}
}

/** A batch statement failed: one or more of its events fail, which is not known yet. */
class StepFailure {
  constructor(readonly events: readonly SequencedEvent[]) {}
}

/**
 * The window was rolled back because an event's statement failed: the events up to `upTo` (in
 * seq order) must be applied one per transaction; the ones after it can go as a new window.
 */
export class WindowRolledBack extends Error {
  constructor(
    readonly upTo: number,
    override readonly cause: unknown,
  ) {
    super(`window rolled back: apply up to seq ${upTo} one event at a time`);
  }
}

/**
 * Apply `events` (all with a template `templateOf` knows) in one transaction that ends with
 * `lastSeq` recorded. Throws {@link WindowRolledBack} after rolling back when an event's statement
 * failed, and the failure itself, after rolling back, when it is not the statement's.
 * @example await applyWindow(executor, events, events.at(-1)!.seq);
 */
export async function applyWindow<T extends PlanTemplate>(x: WindowExecutor<T>, events: readonly SequencedEvent[], lastSeq: number): Promise<void> {
  try {
    await x.begin();
    for (const step of planApply(events, (e) => x.templateOf(e), x.maxRows)) await execStep(x, step);
    await x.commit(lastSeq);
  } catch (error) {
    await x.rollback();
    // Not the statement's fault (I/O, memory, the engine): it says nothing about the event.
    if (error instanceof EventFailure && !x.deterministic(error.cause)) throw error.cause;
    if (error instanceof EventFailure) throw new WindowRolledBack(error.event.seq, error.cause);
    if (error instanceof StepFailure) throw new WindowRolledBack(Math.max(...error.events.map((e) => e.seq)), null);
    throw error;
  }
}

/**
 * One step: a group of one template's events (disjoint entities, so one batch statement or one
 * statement each leaves the same state). How is the strategy's choice, timed for its next one.
 */
async function execStep<T extends PlanTemplate>(x: WindowExecutor<T>, step: PlanStep<T>): Promise<void> {
  const t = step.template;
  if (t === null) throw new Error("a window holds only events of known templates");
  const group = step.events;
  const plan = x.strategy.choose(t, group.length, x.hasBatch(t));
  const singles = plan.how === "single" ? group.length : plan.probeSingle;
  let started = performance.now();
  for (let i = 0; i < singles; i++) {
    const e = group[i]!;
    try {
      await x.single(t, e);
    } catch (cause) {
      throw new EventFailure(e, cause);
    }
  }
  if (singles > 0) x.strategy.record(t, "single", singles, performance.now() - started);
  if (singles === group.length) return;
  const rest = singles === 0 ? group : group.slice(singles);
  started = performance.now();
  try {
    await x.batch(t, rest);
  } catch {
    throw new StepFailure(rest);
  }
  x.strategy.record(t, "batch", rest.length, performance.now() - started);
}
