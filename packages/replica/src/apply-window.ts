/**
 * Applying one window of events in one transaction, in the order `planApply` gives, and finding
 * the events that fail without giving up the batching of the others.
 *
 * When the transaction fails, the replica rolls it back and tries again: a group that failed as a
 * batch statement is run one statement per event, so the next failure names its event. That event
 * fails when applied alone too — every event it depends on ran before it, in seq order, and
 * nothing it conflicts with ran in between (see `apply-plan.ts`) — so it is recorded as failed and
 * left out, and the rest is applied again, still batched. Each failing event costs about two
 * rollbacks, whatever the window's size. Only a failure the statement itself causes is the
 * event's (`deterministic`, see apply-errors.ts); any other failure is thrown after the rollback,
 * and the replica takes over (one event per transaction, stopping before the one that cannot run).
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
 * Apply `events` (all with a template `templateOf` knows) in one transaction that ends with
 * `lastSeq` recorded. Returns the events that failed (seq → error); the others are committed.
 * Throws, after rolling back, when a failure cannot be pinned on an event (the caller then
 * applies the events one at a time).
 * @example const failed = await applyWindow(executor, events, events.at(-1)!.seq);
 */
export async function applyWindow<T extends PlanTemplate>(x: WindowExecutor<T>, events: readonly SequencedEvent[], lastSeq: number): Promise<Map<number, unknown>> {
  const failed = new Map<number, unknown>();
  /** Events whose group runs one statement per event (its batch statement failed). */
  const alone = new Set<number>();
  for (;;) {
    const live = events.filter((e) => !failed.has(e.seq));
    try {
      await x.begin();
      for (const step of planApply(live, (e) => x.templateOf(e), x.maxRows)) await execStep(x, step, alone);
      await x.commit(lastSeq);
      return failed;
    } catch (error) {
      await x.rollback();
      // Not the statement's fault (I/O, memory, the engine): it says nothing about the event.
      if (error instanceof EventFailure && !x.deterministic(error.cause)) throw error.cause;
      if (error instanceof EventFailure) failed.set(error.event.seq, error.cause);
      else if (error instanceof StepFailure && error.events.some((e) => !alone.has(e.seq))) for (const e of error.events) alone.add(e.seq);
      else throw error instanceof StepFailure ? new Error("a batch statement failed twice") : error;
    }
  }
}

/**
 * One step: a group of one template's events (disjoint entities, so one batch statement or one
 * statement each leaves the same state). How is the strategy's choice, timed for its next one.
 */
async function execStep<T extends PlanTemplate>(x: WindowExecutor<T>, step: PlanStep<T>, alone: ReadonlySet<number>): Promise<void> {
  const t = step.template;
  if (t === null) throw new Error("a window holds only events of known templates");
  const group = step.events;
  const forced = group.some((e) => alone.has(e.seq));
  const plan = forced ? { how: "single" as const, probeSingle: 0 } : x.strategy.choose(t, group.length, x.hasBatch(t));
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
  if (singles > 0 && !forced) x.strategy.record(t, "single", singles, performance.now() - started);
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
