/**
 * The `sync-client` command line: commander wiring from argv to the command modules, and the
 * mapping of every outcome to an exit status. Streams and the interrupt signal come in as
 * arguments, so the bin (cli.ts) is only process glue.
 * @module
 */
import { Command, CommanderError, Option } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import { startCliTelemetry, stopCliTelemetry } from "./cli-telemetry.ts";
import { parseCliConfig, parseInteger, type GlobalOptions } from "./config.ts";
import { CliError, EXIT_CODES_HELP, ExitCode, exitCodeOf, describeError } from "./exit-codes.ts";
import { queryCommand } from "./query.ts";
import { replCommand } from "./repl.ts";
import { sendCommand } from "./send.ts";
import type { CliContext } from "./session.ts";
import { statusCommand } from "./status.ts";
import { templatesCommand } from "./templates.ts";
import { verifyCommand } from "./verify.ts";
import { Terminal, type InStream, type OutStream } from "./terminal.ts";
import { watchCommand } from "./watch.ts";

export interface CliIO {
  readonly stdin: InStream;
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C / SIGTERM. */
  readonly signal: AbortSignal;
}

const EXAMPLES = `
Examples:
  $ sync-client                                     interactive prompt (same as: sync-client repl)
  $ sync-client templates                           what the gateway accepts (* = required parameter)
  $ sync-client send CREATE_USER id=u1 name=Alice    prints the event's seq
  $ sync-client send INCREMENT_COUNTER --json '{"counterId":"c1","amount":5}'
  $ sync-client watch --json | jq .                  follow new events as NDJSON
  $ sync-client query "MATCH (u:User) RETURN u.id, u.name" --db ./replica.kuzu
  $ SYNC_URL=ws://gateway:8080 sync-client status`;

/**
 * Run the CLI; resolves with the exit status (never calls process.exit).
 * @example process.exitCode = await runCli(process.argv.slice(2), { stdin, stdout, stderr, env, signal })
 */
export async function runCli(args: readonly string[], io: CliIO): Promise<number> {
  const errTerm = new Terminal({ stdout: io.stdout, stderr: io.stderr, env: io.env });
  let status: number = ExitCode.OK;
  // Each command gets its context and its telemetry; the telemetry is flushed before runCli
  // resolves (the bin exits right after), with a record of how the command ended.
  const run = (action: (ctx: CliContext, command: Command, ...args: never[]) => Promise<ExitCode>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const config = parseCliConfig(command.optsWithGlobals<GlobalOptions>(), {
        url: command.getOptionValueSourceWithGlobals("url"),
        token: command.getOptionValueSourceWithGlobals("token"),
      });
      const term = new Terminal({ stdout: io.stdout, stderr: io.stderr, env: io.env, quiet: config.quiet });
      const telemetry = await startCliTelemetry(term, { verbose: config.verbose, env: io.env });
      const ctx: CliContext = { config, term, stdin: io.stdin, signal: io.signal, logger: telemetry.logger };
      const started = performance.now();
      let outcome: { exitCode: number; error?: string } = { exitCode: ExitCode.FAILED };
      try {
        status = await action(ctx, command, ...(args.slice(0, -1) as never[]));
        outcome = { exitCode: status };
      } catch (error) {
        outcome = { exitCode: exitCodeOf(error), error: describeError(error) };
        throw error;
      } finally {
        ctx.logger.info("command finished", { command: command.name(), url: config.url, durationMs: Math.round(performance.now() - started), ...outcome });
        await stopCliTelemetry(telemetry);
      }
    };

  const program = new Command("sync-client")
    .description("Talk to a kuzu-sync gateway from a terminal: send template events, watch them arrive, query a local KuzuDB replica.")
    .version(packageJson.version, "-V, --version")
    .addOption(new Option("--url <url>", "gateway WebSocket URL").env("SYNC_URL").default("ws://localhost:8080"))
    .addOption(new Option("--token <jwt>", "access token for a gateway with authentication on (prefer SYNC_TOKEN: flags show in ps)").env("SYNC_TOKEN"))
    .option("--timeout <ms>", "how long to wait for the gateway to connect or acknowledge (a catch-up takes as long as it needs while connected)", "15000")
    .option("-q, --quiet", "no notes or progress on stderr (results and errors still print)")
    .option("-v, --verbose", "log the client's diagnostics on stderr")
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(errTerm.errColors.red(s)),
    })
    .showHelpAfterError("(see sync-client --help)")
    .showSuggestionAfterError()
    .exitOverride()
    .addHelpText("after", `${EXAMPLES}\n${EXIT_CODES_HELP}\n\nEnvironment: SYNC_URL (gateway URL), SYNC_TOKEN (access token), NO_COLOR (no colours), LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT (export logs over OTLP/HTTP), OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, LOG_TS_PATH. Docs: docs/CLI.md`);

  program
    .command("repl", { isDefault: true })
    .description("interactive prompt: send events, see other clients' events live, query the local replica")
    .option("--db <path>", "persistent replica file (kept between sessions); in memory when absent")
    .addHelpText("after", "\nAt the prompt, type help. Tab completes template names, commands and parameter names.")
    .action(run((ctx, command) => replCommand(ctx, { ...opt(command, "db") })));

  program
    .command("send")
    .description("send one template event and print its seq")
    .argument("<template>", "template name, e.g. CREATE_USER (see: sync-client templates)")
    .argument("[params...]", "parameters as key=value (typed by the template's schema) or key:=<json>")
    .option("--json <object>", "parameters as one JSON object (key=value arguments override its keys)")
    .option("--output <format>", "text (the bare seq) or json ({seq, duplicate, template})", "text")
    .option("--id <key>", "idempotency key: resending the same id returns the original seq instead of a new event")
    .addHelpText("after", `
Examples:
  $ sync-client send CREATE_USER id=u1 name="Alice Smith"
  $ sync-client send INCREMENT_COUNTER counterId=c1 amount=5     (amount is an integer param: sent as 5;
                                                                 amount=lots exits 2: expected integer)
  $ sync-client send CREATE_USER --json '{"id":"u2","name":"Bob"}'
  $ sync-client send CREATE_USER id=u3 name=Cy --id import-42   (safe to retry: same seq again)
Exits 4 with the server's code (e.g. INVALID_PARAMS, UNKNOWN_TEMPLATE) when the event is rejected.`)
    .action(
      run((ctx, command, template: string, params: string[]) => {
        const output = command.opts<{ output: string }>().output;
        if (output !== "text" && output !== "json") throw new CliError(`--output must be text or json, got ${JSON.stringify(output)}`, ExitCode.USAGE);
        return sendCommand(ctx, template, params, { ...opt(command, "json"), ...opt(command, "id"), output });
      }),
    );

  program
    .command("watch")
    .description("stream events as they are committed (from now on, or from --from-seq), until Ctrl-C")
    .option("--template <name>", "only this template (repeat for several)", collect, [])
    .option("--from-seq <n>", "start with this seq (older events first, then live ones)")
    .option("--json", "one JSON object per line (NDJSON)")
    .option("-n, --count <n>", "exit after printing this many events (a registry version change prints a line but is not counted)")
    .action(
      run((ctx, command) => {
        const o = command.opts<{ template: string[]; fromSeq?: string; json?: boolean; count?: string }>();
        return watchCommand(ctx, {
          templates: o.template,
          json: o.json === true,
          ...(o.fromSeq === undefined ? {} : { fromSeq: parseInteger("--from-seq", o.fromSeq, 1) }),
          ...(o.count === undefined ? {} : { count: parseInteger("--count", o.count, 1) }),
        });
      }),
    );

  program
    .command("query")
    .description("sync a local replica, run one read-only Cypher statement, print a table or JSON")
    .argument("<cypher...>", "the statement (quote it; several words are joined with spaces)")
    .option("--db <path>", "persistent replica file: synced incrementally and kept (in memory when absent)")
    .option("--json", "print the rows as one JSON array")
    .addHelpText("after", `
Examples:
  $ sync-client query "MATCH (u:User) RETURN u.id AS id, u.name AS name ORDER BY id"
  $ sync-client query "MATCH (c:Counter) RETURN c.id, c.value" --db ./replica.kuzu --json`)
    .action(run((ctx, command, words: string[]) => queryCommand(ctx, words.join(" "), { ...opt(command, "db"), json: command.opts()["json"] === true })));

  program
    .command("templates")
    .description("the templates the gateway accepts now, with their parameters (* = required)")
    .option("--json", "print [{name, description, params: [{name, types, required, default}]}]")
    .action(run((ctx, command) => templatesCommand(ctx, { json: command.opts()["json"] === true })));

  program
    .command("status")
    .description("gateway health, head seq, the server replica's and a local replica's position and lag")
    .option("--db <path>", "a persistent replica to inspect (not synced, not created)")
    .option("--json", "print one JSON object")
    .action(run((ctx, command) => statusCommand(ctx, { ...opt(command, "db"), json: command.opts()["json"] === true })));

  program
    .command("verify")
    .description("sync a replica and compare its graph digest with the gateway's at the same seq")
    .option("--db <path>", "persistent replica file to verify (synced first); a fresh in-memory replica built from the log when absent")
    .option("--repair", "rebuild a replica that differs from the gateway's snapshot (its outbox is kept), then verify again")
    .option("--json", "print one JSON object: {seq, match, local, server[, repaired]}")
    .addHelpText("after", "\nExits 0 when the digests match, 5 when they differ (after --repair: when they still differ).")
    .action(run((ctx, command) => verifyCommand(ctx, { ...opt(command, "db"), repair: command.opts()["repair"] === true, json: command.opts()["json"] === true })));

  try {
    await program.parseAsync([...args], { from: "user" });
    return status;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    errTerm.error(describeError(error));
    return exitCodeOf(error);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `{ [name]: value }` when the string option is set, `{}` otherwise (exactOptionalPropertyTypes-safe). */
function opt<K extends string>(command: Command, name: K): { [P in K]?: string } {
  const value: unknown = command.opts()[name];
  return typeof value === "string" ? ({ [name]: value } as { [P in K]?: string }) : {};
}
