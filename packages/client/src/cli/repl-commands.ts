/**
 * The REPL's language: what one line does, and what Tab completes. Independent of readline, so
 * the same interpreter serves a terminal and piped input.
 * @module
 */
import { SyncError, type SequencedEvent } from "@kuzu-sync/protocol";
import type { SyncClient } from "../client.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { formatEvent, formatTemplates } from "./format.ts";
import { parseJsonObject, parseParams, tokenize } from "./params.ts";
import { readOnlyQuery } from "./query.ts";
import { withTimeout } from "./session.ts";
import { formatTable } from "./table.ts";
import type { Terminal } from "./terminal.ts";

/** An event as the local replica saw it. */
export type SeenEvent = SequencedEvent & { readonly ok: boolean; readonly error?: string };

/**
 * The last `capacity` events applied by the local replica, for `history`.
 * @example const h = new EventHistory(100); h.push(e); h.last(10)
 */
export class EventHistory {
  readonly #capacity: number;
  #events: SeenEvent[] = [];

  constructor(capacity = 1_000) {
    this.#capacity = capacity;
  }

  push(event: SeenEvent): void {
    this.#events.push(event);
    // Trim in chunks: one splice per `capacity` pushes instead of one shift per push.
    if (this.#events.length >= this.#capacity * 2) this.#events = this.#events.slice(-this.#capacity);
  }

  last(n: number): SeenEvent[] {
    return this.#events.slice(-Math.min(n, this.#capacity));
  }
}

/** Words the REPL understands besides template names. */
export const REPL_COMMANDS = ["help", "templates", "query", "stats", "history", "status", "exit", "quit"] as const;

export const REPL_HELP = `Commands:
  TEMPLATE key=value ...   send a template event and print its seq, e.g. CREATE_USER id=u1 name=Alice
  TEMPLATE {json}          the same with the parameters as one JSON object
  query <cypher>           read the local replica, e.g. query MATCH (u:User) RETURN u.id, u.name
  templates                list the templates and their parameters (* = required)
  stats                    DML statistics of this session (sent, received, applied, failed)
  history [n]              the last n events the replica applied (default 20)
  status                   connection and replica position
  help                     this text
  exit, quit               leave (or Ctrl-D)
Values: name="Alice Smith" quotes spaces; amount=5 is a number when the parameter is one and
stays text when it is a string (amount=lots for an integer: "expected integer");
tags:='["a","b"]' passes any JSON value.
Tab completes template names, commands and parameter names.`;

export interface ReplDeps {
  readonly client: SyncClient;
  readonly term: Terminal;
  readonly history: EventHistory;
  readonly timeoutMs: number;
}

const TEMPLATE_WORD = /^[A-Z][A-Z0-9_]*$/;

/**
 * @example
 * const repl = new ReplInterpreter({ client, term, history, timeoutMs: 15_000 });
 * await repl.execute("CREATE_USER id=u1 name=Alice"); // prints "seq 1"
 */
export class ReplInterpreter {
  readonly #deps: ReplDeps;

  constructor(deps: ReplDeps) {
    this.#deps = deps;
  }

  /** Run one line; "exit" asks the REPL to end. Failures throw (CliError / SyncError). */
  async execute(line: string): Promise<"continue" | "exit"> {
    const { term, client } = this.#deps;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("--") || trimmed.startsWith("//")) return "continue";
    const space = trimmed.search(/\s/);
    const word = space < 0 ? trimmed : trimmed.slice(0, space);
    const rest = space < 0 ? "" : trimmed.slice(space + 1).trim();
    switch (word) {
      case "exit":
      case "quit":
      case "\\q":
        return "exit";
      case "help":
      case "?":
        term.print(REPL_HELP);
        return "continue";
      case "templates":
        term.print(client.registry ? formatTemplates(client.registry, term.colors) : "no registry yet (not connected)");
        return "continue";
      case "stats":
        term.print(client.formatStatsReport());
        return "continue";
      case "history":
        return this.#history(rest);
      case "status":
        term.print(`${client.connected ? term.colors.green("connected") : term.colors.yellow("disconnected")} to ${client.url} · replica at seq ${client.lastAppliedSeq} · ${client.pendingCount} unacknowledged`);
        return "continue";
      case "query": {
        if (rest === "") throw new CliError("query needs a Cypher statement, e.g. query MATCH (u:User) RETURN u.name", ExitCode.USAGE);
        term.print(formatTable(await readOnlyQuery(client, rest), term.colors));
        return "continue";
      }
    }
    if (TEMPLATE_WORD.test(word)) {
      await this.#send(word, rest);
      return "continue";
    }
    const asTemplate = client.registry?.templates.find((t) => t.name === word.toUpperCase());
    const hint = asTemplate ? `; template names are upper case: ${asTemplate.name}` : "; type help for the commands";
    throw new CliError(`unknown command ${JSON.stringify(word)}${hint}`, ExitCode.USAGE);
  }

  /** readline completer: template names and commands first, then the template's parameter names. */
  complete(line: string): [string[], string] {
    const registry = this.#deps.client.registry;
    const templates = registry?.templates ?? [];
    const start = line.trimStart();
    if (!/\s/.test(start)) {
      const lower = start.toLowerCase();
      const names = [...templates.map((t) => t.name), ...REPL_COMMANDS].filter((n) => n.toLowerCase().startsWith(lower));
      return narrow(names, start, " ");
    }
    const template = templates.find((t) => t.name === start.split(/\s/, 1)[0]);
    const current = line.slice(line.search(/\S*$/));
    if (!template || current.includes("=") || current.startsWith("{")) return [[], current];
    const used = new Set(start.split(/\s+/).slice(1).map((w) => w.split(/:?=/, 1)[0]));
    const keys = template.paramNames.filter((n) => !used.has(n) && n.startsWith(current)).map((n) => `${n}=`);
    return narrow(keys, current, "");
  }

  #history(rest: string): "continue" {
    const n = rest === "" ? 20 : Number(rest);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`history takes a count >= 1, got ${JSON.stringify(rest)}`, ExitCode.USAGE);
    const { term, history } = this.#deps;
    const events = history.last(n);
    if (events.length === 0) term.print(term.colors.dim("(no events yet)"));
    for (const e of events) term.print(formatEvent(e, term.colors, { ok: e.ok, ...(e.error === undefined ? {} : { error: e.error }) }));
    return "continue";
  }

  /** The answer to an event whose wait timed out, printed when it comes (not when the REPL closes first). */
  #reportLate(template: string, acked: Promise<{ seq: number }>): void {
    const { term } = this.#deps;
    acked.then(
      ({ seq }) => term.print(`${term.colors.green("✓")} ${template} ${term.colors.cyan(`seq ${seq}`)} ${term.colors.dim("(acknowledged late)")}`),
      (error: unknown) => {
        if (error instanceof SyncError && error.code === "CLOSED") return;
        term.error(`${template} (sent earlier) rejected: ${error instanceof SyncError ? `${error.code}: ${error.message}` : String(error)}`);
      },
    );
  }

  async #send(template: string, rest: string): Promise<void> {
    const { client, term, timeoutMs } = this.#deps;
    const wire = client.registry?.templates.find((t) => t.name === template);
    const params = rest.startsWith("{") ? parseJsonObject(rest) : parseParams(tokenize(rest), wire);
    let seq: number;
    const acked = client.executeTemplate(template, params);
    try {
      const late = (ms: number) => `no acknowledgement from the gateway within ${ms} ms; the event stays queued and is sent again when the connection is back`;
      ({ seq } = await withTimeout(acked, timeoutMs, late));
    } catch (error) {
      if (error instanceof SyncError && error.code !== "CLOSED" && error.code !== "TIMEOUT") {
        throw new CliError(`rejected: ${error.code}: ${error.message}`, ExitCode.REJECTED, { cause: error });
      }
      // Timed out (a CliError): the event is still queued; say what becomes of it when it does.
      if (error instanceof CliError) this.#reportLate(template, acked);
      throw error;
    }
    term.print(`${term.colors.green("✓")} ${template} ${term.colors.cyan(`seq ${seq}`)}`);
    // Read-your-writes: the next line (often a query) sees this event on the local replica.
    await withTimeout(client.waitForSeq(seq, timeoutMs), timeoutMs, (ms) => `seq ${seq} is stored but the local replica has not applied it within ${ms} ms`);
  }
}

/** Completion result: a single hit gets `suffix`; several with a longer common prefix complete to it. */
function narrow(hits: string[], typed: string, suffix: string): [string[], string] {
  if (hits.length === 1) return [[`${hits[0]}${suffix}`], typed];
  if (hits.length > 1) {
    let prefix = hits[0]!;
    for (const h of hits) while (!h.startsWith(prefix)) prefix = prefix.slice(0, -1);
    if (prefix.length > typed.length) return [[prefix], typed];
  }
  return [hits, typed];
}
