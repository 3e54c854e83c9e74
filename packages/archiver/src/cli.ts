/**
 * The `sync-archiver` command line (commander): `run`, `list`, `verify`, `restore`. Builds the
 * program against injected streams and environment so tests can drive it in-process; `main.ts`
 * wires it to the real process.
 * @module
 */
import { Command, Option } from "commander";
import { existsSync } from "node:fs";
import { ErrorCode, readRegistryChange, REGISTRY_TEMPLATE, SyncError, type SequencedEvent } from "@kuzu-sync/protocol";
import { JetStreamArchivableLog, SqliteArchivableLog, type ArchivableLog } from "@kuzu-sync/log";
import { createLogger, type Level, type Logger } from "@kuzu-sync/telemetry";
import { replayIntoLog, restoreEvents, verifyArchive } from "./archive-inspect.ts";
import { readCatalog } from "./archive-catalog.ts";
import { runArchive, type ArchiveStep } from "./archive-run.ts";
import { ArchiveStore } from "./archive-store.ts";
import { ConfigError, parseArchiverConfig, parseRunSettings, parseSeq, type ArchiverConfig, type Env, type GlobalFlags } from "./config.ts";
import { Progress, type ProgressStream } from "./progress.ts";
import type { SegmentManifest } from "./segment.ts";

export interface CliIo {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
  readonly env: Env;
  /** Called after each step of each segment of `run` (crash tests). */
  readonly onStep?: (step: ArchiveStep, manifest: SegmentManifest) => void;
  /**
   * The logger for the configured level; `main.ts` hands in `createTelemetry` (JSON lines plus OTLP
   * export when configured) and flushes it before exit. Default: JSON lines only.
   */
  readonly startLogger?: (level: Level) => Promise<Logger>;
  /** Set by a command that finished but found problems (verify). */
  exitCode?: number;
}

/**
 * Open the hot log the config points at.
 * @example const log = await openLog(config); try { await log.horizon(); } finally { await log.close(); }
 */
export async function openLog(config: ArchiverConfig): Promise<ArchivableLog> {
  const l = config.log;
  if (l.kind === "jetstream") return JetStreamArchivableLog.open({ natsUrl: l.natsUrl, stream: l.stream, replicaStaleAfterMs: l.replicaStaleAfterMs });
  return SqliteArchivableLog.open(l.path);
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

function range(from: number, to: number): string {
  return from === to ? `seq ${from}` : `seqs ${from}-${to}`;
}

/**
 * @example
 * const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
 * await createProgram(io).parseAsync(process.argv.slice(2), { from: "user" });
 */
export function createProgram(io: CliIo): Command {
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const program = new Command("sync-archiver")
    .description("Move events older than the retention from the hot log to S3, and read them back")
    .addOption(new Option("--data-dir <dir>", "gateway data directory holding events.sqlite [DATA_DIR, default ./data]"))
    .addOption(new Option("--log <kind>", "hot log backend [LOG_BACKEND, default embedded]").choices(["embedded", "jetstream"]))
    .addOption(new Option("--nats-url <url>", "NATS server, with --log jetstream [NATS_URL]"))
    .addOption(new Option("--stream <name>", "JetStream stream, with --log jetstream [NATS_STREAM, default KUZU_SYNC_EVENTS]"))
    .addOption(
      new Option("--replica-stale-after <duration>", "with --log jetstream: a gateway not heard from for this long no longer limits purges [REPLICA_STALE_AFTER, default 7d]"),
    )
    .addOption(new Option("--s3-endpoint <url>", "S3-compatible endpoint [S3_ENDPOINT, default AWS]"))
    .addOption(new Option("--s3-bucket <name>", "bucket [S3_BUCKET, required]"))
    .addOption(new Option("--s3-region <region>", "region [S3_REGION, default us-east-1]"))
    .addOption(new Option("--s3-force-path-style <bool>", "path-style URLs [S3_FORCE_PATH_STYLE, default true with --s3-endpoint]"))
    .addOption(new Option("--log-level <level>", "debug | info | warn | error [LOG_LEVEL, default warn]"))
    .addHelpText(
      "after",
      "\nCredentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the AWS SDK's default chain).\n" +
        "Logs: LOG_FORMAT json | pretty (default: pretty on a terminal), LOG_TS_PATH, OTEL_EXPORTER_OTLP_ENDPOINT.\n" +
        "Exit codes: 0 done, 1 failed (S3, the log, a verification), 2 bad settings. Docs: docs/ARCHIVE.md",
    )
    .showHelpAfterError("(see sync-archiver --help)")
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  const setup = async (cmd: Command): Promise<{ config: ArchiverConfig; store: ArchiveStore; logger: Logger }> => {
    const config = parseArchiverConfig(cmd.optsWithGlobals() as GlobalFlags, io.env);
    const logger = io.startLogger ? await io.startLogger(config.logLevel) : createLogger({ serviceName: "sync-archiver", level: config.logLevel });
    return { config, store: ArchiveStore.connect(config.s3), logger };
  };
  /** The log if it exists: list/verify/restore work on the archive alone too. */
  const maybeLog = async (config: ArchiverConfig): Promise<ArchivableLog | null> => {
    if (config.log.kind === "embedded" && !existsSync(config.log.path)) return null;
    try {
      return await openLog(config);
    } catch (error) {
      if (config.log.kind === "jetstream" && error instanceof SyncError && error.code === ErrorCode.NOT_FOUND) return null;
      throw error;
    }
  };

  program
    .command("run")
    .description("one archive pass (suited to cron)")
    .option("--older-than <duration>", "archive events whose server timestamp is older than this (30d, 12h, 15m, 0s)", "30d")
    .option("--dry-run", "show what would be archived; upload and delete nothing")
    .option("--segment-events <n>", "most events per segment", "10000")
    .action(async (flags: { olderThan?: string; dryRun?: boolean; segmentEvents?: string }, cmd: Command) => {
      const settings = parseRunSettings(flags);
      const { config, store, logger } = await setup(cmd);
      let log: ArchivableLog;
      try {
        log = await openLog(config);
      } catch (error) {
        store.close();
        throw error;
      }
      const progress = new Progress(io.stderr);
      try {
        const report = await runArchive({
          log,
          store,
          cutoffMs: Date.now() - settings.olderThanMs,
          segmentEvents: settings.segmentEvents,
          dryRun: settings.dryRun,
          logger,
          onProgress: (p) => progress.update(`${settings.dryRun ? "planned" : "archived"} ${fmt(p.events)} events in ${fmt(p.segments)} segments (through seq ${fmt(p.throughSeq)})`),
          ...(io.onStep ? { onStep: io.onStep } : {}),
        });
        progress.done();
        for (const note of report.notes) out(`note: ${note}`);
        if (report.recovered > 0) out(`${report.dryRun ? "would finish" : "finished"} an interrupted pass: ${fmt(report.recovered)} archived events ${report.dryRun ? "would be" : "were"} removed from the hot log`);
        if (report.orphansRemoved > 0) out(`removed ${report.orphansRemoved} segment object(s) an interrupted pass left without a manifest`);
        const first = report.segments[0];
        const last = report.segments[report.segments.length - 1];
        if (!first || !last) {
          out(`nothing to archive: no hot event older than ${flags.olderThan ?? "30d"} (hot log ${report.horizon > report.head ? "empty" : range(report.horizon, report.head)})`);
        } else if (report.dryRun) {
          out(`dry run: would archive ${fmt(report.events)} events in ${report.segments.length} segment(s), ${range(first.fromSeq, last.toSeq)}`);
          for (const m of report.segments) out(`  ${m.key}  ${fmt(m.count)} events`);
        } else {
          out(`archived ${fmt(report.events)} events in ${report.segments.length} segment(s), ${range(first.fromSeq, last.toSeq)}; the hot log now starts at seq ${report.horizon} (head ${report.head})`);
        }
        if (report.heldBackAt !== null) {
          out(`held back at seq ${report.heldBackAt}: older events after it wait until every gateway's server replica has applied them`);
        }
      } finally {
        progress.done();
        await log.close();
        store.close();
      }
    });

  program
    .command("list")
    .description("archived segments and their seq ranges")
    .option("--json", "machine-readable output")
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      const { config, store } = await setup(cmd);
      const log = await maybeLog(config).catch((error: unknown) => {
        store.close();
        throw error;
      });
      try {
        const catalog = await readCatalog(store);
        const horizon = log ? await log.horizon() : null;
        const head = log ? await log.head() : null;
        const purgeLimit = log ? await log.purgeLimit() : null;
        if (flags.json) {
          out(JSON.stringify({ segments: catalog.manifests, archivedThrough: catalog.archivedThrough, orphans: catalog.orphans, horizon, head, purgeLimit }, null, 2));
          return;
        }
        for (const m of catalog.manifests) {
          out(`${m.key}  ${range(m.fromSeq, m.toSeq)}  ${fmt(m.count)} events  ${fmt(m.bytes)} bytes  ${new Date(m.firstServerTimestamp).toISOString()}`);
        }
        for (const o of catalog.orphans) out(`${o.key}  (no manifest: left by an interrupted run)`);
        const total = catalog.manifests.reduce((n, m) => n + m.count, 0);
        const first = catalog.manifests[0];
        out(
          first
            ? `${catalog.manifests.length} segment(s), ${fmt(total)} events, ${range(first.fromSeq, catalog.archivedThrough)}`
            : "the archive is empty",
        );
        if (horizon !== null && head !== null) out(`hot log: ${horizon > head ? `empty (head ${head})` : range(horizon, head)}, horizon ${horizon}`);
        if (purgeLimit !== null) {
          out(`purge limit: seq ${purgeLimit.seq} (what the gateways' server replicas have applied)`);
          for (const note of purgeLimit.notes) out(`note: ${note}`);
        }
      } finally {
        await log?.close();
        store.close();
      }
    });

  program
    .command("verify")
    .description("check every segment against its manifest (exit 1 on any problem)")
    .action(async (_flags: unknown, cmd: Command) => {
      const { config, store } = await setup(cmd);
      const log = await maybeLog(config).catch((error: unknown) => {
        store.close();
        throw error;
      });
      const progress = new Progress(io.stderr);
      try {
        const report = await verifyArchive(store, log, (done, total) => progress.update(`verified ${done}/${total} segments`));
        progress.done();
        const first = report.catalog.manifests[0];
        const what = first ? `${report.segments} segment(s), ${fmt(report.events)} events, ${range(first.fromSeq, report.catalog.archivedThrough)}` : "empty archive";
        if (report.problems.length === 0) {
          out(`ok: ${what}${report.horizon !== null ? `; hot log continues at seq ${report.horizon}` : ""}`);
        } else {
          for (const p of report.problems) out(`problem: ${p}`);
          out(`FAILED: ${report.problems.length} problem(s) in ${what}`);
          io.exitCode = 1;
        }
      } finally {
        progress.done();
        await log?.close();
        store.close();
      }
    });

  program
    .command("restore")
    .description("print archived events as NDJSON, or --replay them back into the hot log")
    .requiredOption("--from-seq <n>", "first seq")
    .option("--to-seq <n>", "last seq (default: the last archived)")
    .option("--replay", "put the events back into the hot log (the range must end just below its horizon)")
    .option("--registry", "print only the registry events of the range, one line each (version, seq, kind, hash, steps)")
    .action(async (flags: { fromSeq: string; toSeq?: string; replay?: boolean; registry?: boolean }, cmd: Command) => {
      const from = parseSeq("--from-seq", flags.fromSeq)!;
      const to = parseSeq("--to-seq", flags.toSeq);
      const { config, store } = await setup(cmd);
      try {
        if (flags.replay) {
          if (config.log.kind === "jetstream") {
            throw new ConfigError(
              "restore --replay is not possible with --log jetstream: a JetStream stream cannot take messages below its first seq. Replicas behind the horizon bootstrap from a gateway snapshot; run restore without --replay to print the archived events",
            );
          }
          const log = await openLog(config);
          try {
            const n = await replayIntoLog(store, log, from, to);
            out(`put ${fmt(n)} archived events back into the hot log; it now starts at seq ${await log.horizon()}`);
          } finally {
            await log.close();
          }
          return;
        }
        let buffer = "";
        const n = await restoreEvents(store, from, to, (e) => {
          if (flags.registry) {
            if (e.template !== REGISTRY_TEMPLATE) return;
            buffer += `${describeRegistryEvent(e)}\n`;
            return;
          }
          buffer += `${JSON.stringify(e)}\n`;
          if (buffer.length > 1 << 16) (io.stdout.write(buffer), (buffer = ""));
        });
        io.stdout.write(buffer);
        if (io.stderr.isTTY) io.stderr.write(`restored ${fmt(n)} events\n`);
      } finally {
        store.close();
      }
    });

  return program;
}

/** One line for a registry event in the archive (`restore --registry`). */
function describeRegistryEvent(e: SequencedEvent): string {
  const read = readRegistryChange(e.params);
  if (!read.ok) return `seq ${e.seq}: a registry event that does not read (${read.message})`;
  const c = read.change;
  return `seq ${e.seq}: registry version ${c.version} (${c.kind}), hash ${c.hash}, ${c.steps.length} step(s), ${c.registry.templates.length} templates`;
}
