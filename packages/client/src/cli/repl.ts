/**
 * `sync-client` / `sync-client repl`: the interactive prompt. On a terminal: readline with Tab
 * completion and history, other clients' events printed above the prompt without disturbing
 * what is being typed. On piped input: every line run in order, results printed, exit at EOF.
 * @module
 */
import * as readline from "node:readline";
import { ExitCode, describeError } from "./exit-codes.ts";
import { formatEvent, formatRegistryChange } from "./format.ts";
import { EventHistory, ReplInterpreter } from "./repl-commands.ts";
import { openClient, type CliContext } from "./session.ts";

export interface ReplOptions {
  /** Persistent replica (kept between sessions); in memory when absent. */
  readonly db?: string;
}

/**
 * Exit status: 0 when left with exit / Ctrl-D; with piped input, 1 if any line failed.
 * @example await replCommand(ctx, {})
 */
export async function replCommand(ctx: CliContext, options: ReplOptions): Promise<ExitCode> {
  const { term } = ctx;
  const interactive = ctx.stdin.isTTY === true && term.stdout.isTTY === true;
  const history = new EventHistory();
  let live = false;
  const client = await openClient(ctx, {
    ...(options.db === undefined ? {} : { dbPath: options.db }),
    until: "live",
    progress: true,
    setup: (c) => {
      c.on("live", () => (live = true));
      c.on("event", (e) => {
        history.push(e);
        if (!live) return;
        const opts = { ok: e.ok, ...(e.error === undefined ? {} : { error: e.error }) };
        if (e.clientId !== c.clientId) term.print(`${term.colors.magenta("←")} ${formatEvent(e, term.colors, opts)}`);
        else if (!e.ok) term.warn(`your event #${e.seq} ${e.template} failed to apply on every replica: ${e.error ?? "unknown error"}`);
      });
      // The log moved to another registry version: one line, not an event (not in history).
      c.on("registry", (r) => {
        if (live) term.print(formatRegistryChange(r, term.colors));
      });
    },
  });
  // One line when the gateway goes away and one when it is back, not one per failed attempt.
  let lost = false;
  client.on("disconnected", ({ code, reason }) => {
    if (lost) return;
    lost = true;
    term.warn(`disconnected (${code}${reason ? ` ${reason}` : ""}); reconnecting`);
  });
  client.on("connected", ({ headSeq }) => {
    if (!lost) return;
    lost = false;
    term.note(`reconnected; server head at seq ${headSeq}`);
  });
  client.on("error", (error) => term.error(describeError(error)));

  const interp = new ReplInterpreter({ client, term, history, timeoutMs: ctx.config.timeoutMs });
  const c = term.colors;
  const templates = client.registry?.templates.length ?? 0;
  if (interactive) {
    term.print(`${c.bold("sync-client")} connected to ${ctx.config.url} · replica at seq ${client.lastAppliedSeq} · ${templates} templates`);
    term.print(c.dim("Type help for commands, Tab to complete, Ctrl-D to exit."));
  } else {
    term.note(`connected to ${ctx.config.url}; replica at seq ${client.lastAppliedSeq}`);
  }

  const rl = readline.createInterface({
    input: ctx.stdin,
    ...(interactive ? { output: term.stdout, completer: (line: string) => interp.complete(line) } : {}),
    terminal: interactive,
    prompt: interactive ? c.bold(c.cyan("sync> ")) : "",
    historySize: 1_000,
  });

  let prompting = false;
  if (interactive) {
    const out = term.stdout;
    // Clear the prompt (and the rows a long typed line wraps onto), print, redraw prompt and line.
    term.setGuard((write) => {
      if (!prompting) return write();
      readline.moveCursor(out, 0, -rl.getCursorPos().rows);
      readline.cursorTo(out, 0);
      readline.clearScreenDown(out);
      write();
      rl.prompt(true);
    });
  }

  const queue: string[] = [];
  let busy = false;
  let ended = false;
  let exitRequested = false;
  let failures = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const showPrompt = () => {
    if (!interactive || ended) return;
    prompting = true;
    rl.prompt();
  };
  const pump = async () => {
    if (busy) return;
    busy = true;
    while (queue.length > 0 && !exitRequested) {
      const line = queue.shift()!;
      try {
        if ((await interp.execute(line)) === "exit") exitRequested = true;
      } catch (error) {
        failures++;
        term.error(describeError(error));
      }
    }
    busy = false;
    if (exitRequested || ended) return finish();
    showPrompt();
  };
  rl.on("line", (line) => {
    prompting = false;
    queue.push(line);
    void pump();
  });
  rl.on("close", () => {
    if (interactive && prompting) term.stdout.write("\n");
    prompting = false;
    ended = true;
    if (!busy) finish();
  });
  rl.on("SIGINT", () => {
    // Like a shell: Ctrl-C drops the typed line; leaving is Ctrl-D or exit.
    const typed = rl.line.length > 0;
    rl.write(null, { ctrl: true, name: "e" });
    rl.write(null, { ctrl: true, name: "u" });
    prompting = false;
    term.stdout.write(typed ? "^C\n" : `\n${c.dim("(To exit, press Ctrl-D or type exit)")}\n`);
    showPrompt();
  });
  const onAbort = () => rl.close();
  ctx.signal.addEventListener("abort", onAbort, { once: true });

  showPrompt();
  try {
    await done;
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    term.setGuard(null);
    rl.close();
    await client.close();
  }
  if (ctx.signal.aborted) return ExitCode.INTERRUPTED;
  return !interactive && failures > 0 ? ExitCode.FAILED : ExitCode.OK;
}
