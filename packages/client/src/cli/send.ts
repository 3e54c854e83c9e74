/**
 * `sync-client send <TEMPLATE> [k=v ...] [--json '{...}']`: send one event, print its seq.
 * @module
 */
import { SyncError } from "@kuzu-sync/protocol";
import { CliError, ExitCode } from "./exit-codes.ts";
import { parseParams } from "./params.ts";
import { abortable, openClient, withTimeout, type CliContext } from "./session.ts";
import { toJson } from "./table.ts";
import { eventIdProblem } from "../write-checks.ts";

export interface SendOptions {
  /** A JSON object of parameters; k=v words override its keys. */
  readonly json?: string;
  /** Print `{"seq","duplicate","template"}` instead of the bare seq. */
  readonly output?: "json" | "text";
  /** Idempotency key: sending the same id again returns the original seq (duplicate: true). */
  readonly id?: string;
}

/**
 * Sends without waiting for the replica to catch up: the ack is all `send` needs, and a long
 * history would only delay it.
 * @example await sendCommand(ctx, "CREATE_USER", ["id=u1", "name=Alice"], {})
 */
export async function sendCommand(ctx: CliContext, template: string, words: readonly string[], options: SendOptions): Promise<ExitCode> {
  // Malformed input is reported before touching the network; coercion needs the registry, below.
  parseParams(words, undefined, options.json);
  const badId = options.id === undefined ? null : eventIdProblem(options.id);
  if (badId !== null) throw new CliError(`--id ${JSON.stringify(options.id)} is not a valid event id (${badId})`, ExitCode.USAGE);
  const client = await openClient(ctx, { until: "welcome", progress: false });
  try {
    const wire = client.registry?.templates.find((t) => t.name === template);
    const params = parseParams(words, wire, options.json);
    let ack: { seq: number; duplicate: boolean };
    try {
      // An explicit id, so a timed-out send can be retried without risking a duplicate.
      const id = options.id ?? crypto.randomUUID();
      const late = (ms: number) =>
        `no acknowledgement from the gateway within ${ms} ms: the event may or may not be stored; ` +
        `rerun with --id ${id} to get its seq without creating a duplicate`;
      ack = await abortable(withTimeout(client.executeTemplate(template, params, { id }), ctx.config.timeoutMs, late), ctx.signal);
    } catch (error) {
      if (error instanceof SyncError && error.code !== "CLOSED" && error.code !== "TIMEOUT") {
        throw new CliError(`rejected by the server: ${error.code}: ${error.message}`, ExitCode.REJECTED, { cause: error });
      }
      throw error;
    }
    ctx.term.print(options.output === "json" ? toJson({ seq: ack.seq, duplicate: ack.duplicate, template }) : String(ack.seq));
    return ExitCode.OK;
  } finally {
    await client.close();
  }
}
