/**
 * `sync-client watch [--template T] [--from-seq N] [--json] [--count N]`: stream events as they
 * are committed, one line each (NDJSON with --json), until Ctrl-C. A registry event (the log
 * moving to another registry version, docs/PROTOCOL.md §10) is not an event of a template: it
 * prints as one `registry version …` line (with --json an object of `type` "registry"), whatever
 * the --template filter, and --count does not count it.
 * @module
 */
import { ErrorCode, REGISTRY_TEMPLATE, SyncError, readRegistryChange, type SequencedEvent } from "@kuzu-sync/protocol";
import type { Colors } from "./colors.ts";
import { EventTail } from "./event-tail.ts";
import { CliError, ExitCode, describeError } from "./exit-codes.ts";
import { formatEvent, formatRegistryChange } from "./format.ts";
import { fetchJson, type CliContext, type Health } from "./session.ts";
import { toJson } from "./table.ts";

export interface WatchOptions {
  /** Only these templates (empty: all). */
  readonly templates: readonly string[];
  /** Print events with seq >= this; absent: only events committed from now on. */
  readonly fromSeq?: number;
  readonly json: boolean;
  /** Exit 0 after this many printed events (registry changes are not events). */
  readonly count?: number;
}

/**
 * @example await watchCommand(ctx, { templates: ["CREATE_USER"], fromSeq: 1, json: true })
 */
export async function watchCommand(ctx: CliContext, options: WatchOptions): Promise<ExitCode> {
  const { term } = ctx;
  const health = await fetchJson<Health>(ctx, "/health");
  const afterSeq = options.fromSeq === undefined ? health.headSeq : Math.max(0, options.fromSeq - 1);
  const only = new Set(options.templates);
  let printed = 0;
  let lost = false;
  const tail: EventTail = new EventTail({
    url: ctx.config.url,
    clientId: ctx.config.tokenSubject ?? `watch-${crypto.randomUUID()}`,
    token: ctx.config.token,
    afterSeq,
    onEvent: (event) => {
      if (event.template === REGISTRY_TEMPLATE) return term.print(registryLine(event, options.json, term.colors));
      if (only.size > 0 && !only.has(event.template)) return;
      term.print(options.json ? toJson(event) : formatEvent(event, term.colors));
      if (options.count !== undefined && ++printed >= options.count) tail.stop();
    },
    onWelcome: (welcome, reconnect) => {
      lost = false;
      if (reconnect) return term.note(`reconnected; resuming after seq ${tail.lastSeq}`);
      const known = new Set(welcome.registry.templates.map((t) => t.name));
      const unknown = [...only].filter((t) => !known.has(t));
      if (unknown.length > 0) {
        stopWith(new CliError(`unknown template ${unknown.join(", ")}; known: ${[...known].join(", ")}`, ExitCode.USAGE));
        return;
      }
      const from = options.fromSeq === undefined ? `new events after seq ${welcome.headSeq}` : `from seq ${afterSeq + 1} (head ${welcome.headSeq})`;
      term.note(`watching ${ctx.config.url}: ${from}${only.size ? `, templates ${[...only].join(", ")}` : ""}; Ctrl-C to stop`);
    },
    // One line per outage, not one per failed attempt.
    onDisconnect: ({ code }) => {
      if (lost) return;
      lost = true;
      term.note(`connection lost (${code}); reconnecting`);
    },
    onError: (error) => term.warn(describeError(error)),
  });
  const outcome: { failure: CliError | null } = { failure: null };
  const stopWith = (error: CliError) => {
    outcome.failure = error;
    tail.stop();
  };
  const onAbort = () => tail.stop();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  try {
    await tail.start();
    await tail.done;
  } catch (error) {
    if (outcome.failure) throw outcome.failure;
    if (error instanceof SyncError && error.code === ErrorCode.SNAPSHOT_REQUIRED) {
      throw new CliError(`events before seq ${health.horizonSeq} are archived (${error.code}); watch with --from-seq ${health.horizonSeq} or later`, ExitCode.FAILED, { cause: error });
    }
    if (error instanceof SyncError && error.code === ErrorCode.CLOSED && ctx.signal.aborted) return ExitCode.OK;
    throw error instanceof SyncError ? new CliError(describeError(error), ExitCode.UNAVAILABLE, { cause: error }) : error;
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    tail.stop();
  }
  if (outcome.failure) throw outcome.failure;
  return ExitCode.OK;
}

/**
 * How watch prints a registry event: `registry version 2 (3f2a9c1b7d4e…) at seq 41`, or with
 * --json `{"type":"registry","seq":41,"kind":"upgrade","version":2,"hash":"…","serverTimestamp":…}`
 * (template events carry no `type`). One the gateway stored but that does not decode says so.
 */
function registryLine(event: SequencedEvent, json: boolean, colors: Colors): string {
  const read = readRegistryChange(event.params);
  if (!read.ok) {
    return json ? toJson({ type: "registry", seq: event.seq, error: read.message }) : `${colors.red("registry event")} at seq ${event.seq} unreadable: ${read.message}`;
  }
  const { kind, version, hash } = read.change;
  if (json) return toJson({ type: "registry", seq: event.seq, kind, version, hash, serverTimestamp: event.serverTimestamp });
  return formatRegistryChange({ version, hash, seq: event.seq }, colors);
}
