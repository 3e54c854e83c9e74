/**
 * How a replica runs a raw DML event: the one place arbitrary Cypher from the log reaches Kuzu,
 * so it is checked again (whatever the gateway said) and bounded by Kuzu's query timeout, and a
 * timeout is told apart from a failure of the event's own (see apply-errors.ts).
 * @module
 */
import { ErrorCode, SyncError, checkRawDmlParams, type SequencedEvent } from "@kuzu-sync/protocol";
import * as k from "./kuzu.ts";
import { describeStatement } from "./template-statements.ts";
import type { WriteSession } from "./write-session.ts";

/**
 * Run the raw DML event `e` in the session's open transaction (never batched: it always runs
 * alone, in its own transaction). A refusal throws, so the event is recorded as failed,
 * identically on every replica. Kuzu's query timeout (`timeoutMs`, by default
 * `RawDmlLimits.timeoutMs`) bounds the work no static check sees; hitting it throws
 * APPLY_TIMEOUT, which stops this replica before the event rather than recording a failure.
 * @example await execRawDml(session, event, RawDmlLimits.timeoutMs);
 */
export async function execRawDml(session: WriteSession, e: SequencedEvent, timeoutMs: number): Promise<void> {
  const check = checkRawDmlParams(e.params);
  if (!check.ok) throw new SyncError(check.code, `raw DML refused by the replica: ${check.message}`, { eventId: e.id });
  if (describeStatement(check.cypher).updates) session.markUpdated();
  const write = session.write;
  try {
    await k.withQueryTimeout(write, timeoutMs, async () => {
      // prepare() refuses multi-statement text (conn.query() would run it and crash Bun).
      const prepared = await write.prepare(check.cypher);
      if (!prepared.isSuccess()) throw new Error(prepared.getErrorMessage());
      await k.exec(write, prepared, {});
    });
  } catch (error) {
    if (!k.isInterrupted(error)) throw error;
    throw new SyncError(ErrorCode.APPLY_TIMEOUT, `raw DML event ${e.id} (seq ${e.seq}) ran past the ${timeoutMs} ms query timeout; the replica stops before it`, { cause: error, eventId: e.id });
  }
}
