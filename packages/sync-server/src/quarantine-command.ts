/**
 * `sync-server quarantine --seq N [--reason TEXT] (--data-dir DIR | --nats-url URL [--stream NAME])`:
 * take a stored poison event out of service (docs/SECURITY.md, "Poison events"). The quarantine is
 * recorded beside the log — in the embedded log's `events.sqlite` (its `quarantined` table), or in
 * the JetStream log's KV bucket, which every gateway copies into its index — never in the events
 * themselves, and outlives archiving. Gateways mark the event when they serve it, and every replica
 * that has not applied it records its seq and runs nothing; one that already applied it keeps its
 * effect. Works while the gateway is stopped (a poison event may keep it from starting) or running.
 *
 * Refused (exit 2): a seq outside the log, an archived seq (replicas that still need it start from
 * a snapshot past it), a registry event (`KUZU_SYNC_REGISTRY`: every replica must apply it). Exit
 * 0 when the event is quarantined (also when it already was), 1 when the log cannot be read or written.
 * @module
 */
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { archiveKv, decodeLogRecord, parseQuarantineEntry, QuarantineList, quarantineKey, writeQuarantineKv, type QuarantineEntry } from "@kuzu-sync/log";
import { Limits, REGISTRY_TEMPLATE, type SequencedEvent } from "@kuzu-sync/protocol";
import { connect } from "nats";

export const QUARANTINE_USAGE = `Usage: sync-server quarantine --seq <n> [--reason <text>] (--data-dir <dir> | --nats-url <urls> [--stream <name>])

Takes a stored event out of service: every replica that has not applied seq n yet records it and
runs nothing (an event that crashes or stalls the engine, a "poison event"); a replica that already
applied it keeps its effect. Recorded beside the log (the embedded log's file, or the JetStream log's
KV bucket), kept through archiving; works while the gateway is stopped or running. Registry events
cannot be quarantined. See docs/SECURITY.md, "Poison events".

Options:
  --seq <n>            the event's seq (the gateway's /health and its logs name it)
  --reason <text>      why, up to ${Limits.maxQuarantineReasonLength} characters; replicas report it
  --data-dir <dir>     DATA_DIR     the gateway's data directory (embedded log)
  --nats-url <urls>    NATS_URL     the NATS servers of a JetStream log instead
  --stream <name>      NATS_STREAM  the JetStream stream (default KUZU_SYNC_EVENTS)
  -h, --help                        this text

Exit codes: 0 quarantined (or already), 1 the log cannot be read or written, 2 refused or bad arguments.
`;

/** Where the command writes. */
export interface QuarantineIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The log as the command sees it. */
interface LogAccess {
  readonly where: string;
  readonly headSeq: number;
  readonly horizonSeq: number;
  /** The server replica's recorded position, when the log has one (embedded). */
  readonly replicaSeq: number | null;
  event(seq: number): Promise<SequencedEvent | null>;
  existing(seq: number): Promise<QuarantineEntry | undefined>;
  /** Record it; false when the seq was already quarantined. */
  add(entry: QuarantineEntry): Promise<boolean>;
  close(): Promise<void>;
}

/** Storage would turn a lone surrogate into U+FFFD (docs/PROTOCOL.md §2). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A refusal the operator must fix (exit 2). */
class Refused extends Error {}

/**
 * Runs `sync-server quarantine` with the arguments after `quarantine`; resolves with the exit status.
 * @example process.exitCode = await runQuarantineCommand(["--seq", "42", "--data-dir", "./data"], { out, err, env: process.env });
 */
export async function runQuarantineCommand(args: readonly string[], io: QuarantineIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        seq: { type: "string" },
        reason: { type: "string" },
        "data-dir": { type: "string" },
        "nats-url": { type: "string" },
        stream: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    io.err(`sync-server quarantine: ${(error as Error).message} (see sync-server quarantine --help)\n`);
    return 2;
  }
  if (parsed.help) {
    io.out(QUARANTINE_USAGE);
    return 0;
  }
  const seqText = parsed.seq;
  const seq = Number(seqText);
  if (seqText === undefined || !/^\d{1,15}$/.test(seqText) || !Number.isSafeInteger(seq) || seq < 1) {
    io.err(`sync-server quarantine: --seq ${seqText === undefined ? "is required" : `${JSON.stringify(seqText)} is not a seq (a whole number ≥ 1)`} (see sync-server quarantine --help)\n`);
    return 2;
  }
  const reason = parsed.reason ?? "";
  if (reason.length > Limits.maxQuarantineReasonLength || LONE_SURROGATE.test(reason)) {
    io.err(`sync-server quarantine: --reason must be well-formed text of at most ${Limits.maxQuarantineReasonLength} characters\n`);
    return 2;
  }
  if (parsed["data-dir"] !== undefined && parsed["nats-url"] !== undefined) {
    io.err("sync-server quarantine: give --data-dir (embedded log) or --nats-url (JetStream log), not both\n");
    return 2;
  }
  const natsUrl = parsed["nats-url"] ?? (parsed["data-dir"] === undefined ? io.env["NATS_URL"] : undefined);
  let log: LogAccess;
  try {
    log = natsUrl ? await streamAccess(natsUrl, parsed.stream ?? io.env["NATS_STREAM"] ?? "KUZU_SYNC_EVENTS") : embeddedAccess(resolve(parsed["data-dir"] ?? io.env["DATA_DIR"] ?? "./data"));
  } catch (error) {
    io.err(`sync-server quarantine: ${(error as Error).message}\n`);
    return error instanceof Refused ? 2 : 1;
  }
  try {
    return await quarantine(log, seq, reason, io);
  } catch (error) {
    io.err(`sync-server quarantine: ${(error as Error).message}\n`);
    return error instanceof Refused ? 2 : 1;
  } finally {
    await log.close();
  }
}

async function quarantine(log: LogAccess, seq: number, reason: string, io: QuarantineIo): Promise<number> {
  if (seq > log.headSeq) throw new Refused(`seq ${seq} is not in the log ${log.where} (its head is ${log.headSeq})`);
  if (seq < log.horizonSeq) {
    throw new Refused(`seq ${seq} is archived (${log.where} starts at seq ${log.horizonSeq}): every replica that still needs it starts from a snapshot past it, so there is nothing to quarantine`);
  }
  const existing = await log.existing(seq);
  if (existing !== undefined) {
    io.out(`seq ${seq} is already quarantined (since ${new Date(existing.at).toISOString()}${existing.reason ? `: ${existing.reason}` : ""}); nothing changed\n`);
    return 0;
  }
  const event = await log.event(seq);
  if (event === null) throw new Error(`seq ${seq} cannot be read from ${log.where}`);
  if (event.template === REGISTRY_TEMPLATE) {
    throw new Refused(`seq ${seq} is a registry event (${REGISTRY_TEMPLATE}): every replica must apply it, so it cannot be quarantined`);
  }
  const added = await log.add({ seq, reason, eventId: event.id, at: Date.now() });
  if (!added) {
    io.out(`seq ${seq} was quarantined meanwhile by someone else; nothing changed\n`);
    return 0;
  }
  io.out(`quarantined seq ${seq} (event ${event.id}, ${event.template}, from client ${event.clientId}) in ${log.where}${reason ? `: ${reason}` : ""}\n`);
  io.out("replicas that have not applied it skip it; running gateways pick it up at once, stopped ones when they start\n");
  if (log.replicaSeq !== null && log.replicaSeq >= seq) {
    io.out(
      `note: the gateway's server replica already applied seq ${seq}, so it (and its snapshots) keep the event's effect while replicas that skip it will not: ` +
        "check them with `sync-client verify` (a replica that differs can rebuild from a snapshot)\n",
    );
  }
  return 0;
}

function embeddedAccess(dir: string): LogAccess {
  const path = join(dir, "events.sqlite");
  if (!existsSync(path)) {
    if (existsSync(join(dir, "jetstream-index.sqlite"))) throw new Refused(`${dir} belongs to a JetStream gateway: quarantine in the stream's KV bucket with --nats-url`);
    throw new Error(`no embedded log in ${dir} (no events.sqlite)`);
  }
  const db = new Database(path, { readwrite: true, create: false, strict: true });
  db.exec("PRAGMA busy_timeout = 5000");
  const meta = (key: string) => db.query<{ value: number }, [string]>("SELECT value FROM meta WHERE key = ?").get(key)?.value ?? null;
  const headSeq = meta("head") ?? 0;
  const first = db.query<{ seq: number | null }, []>("SELECT min(seq) AS seq FROM events").get()?.seq ?? null;
  const horizonSeq = meta("horizon") ?? first ?? headSeq + 1;
  let list: QuarantineList | null = null;
  const quarantine = () => (list ??= QuarantineList.attach(db));
  return {
    where: path,
    headSeq,
    horizonSeq,
    replicaSeq: meta("replica_seq"),
    event: async (seq) => {
      const row = db.query<{ id: string; template: string; client_id: string }, [number]>("SELECT id, template, client_id FROM events WHERE seq = ?").get(seq);
      return row === null ? null : ({ id: row.id, template: row.template, clientId: row.client_id, params: {}, timestamp: 0, seq, serverTimestamp: 0 } satisfies SequencedEvent);
    },
    existing: async (seq) => QuarantineList.read(db).find((e) => e.seq === seq),
    add: async (entry) => quarantine().add(entry),
    close: async () => db.close(),
  };
}

async function streamAccess(url: string, stream: string): Promise<LogAccess> {
  const nc = await connect({ servers: url.split(","), timeout: 5_000, reconnect: false });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream).catch(() => null);
    if (info === null) throw new Refused(`stream ${stream} does not exist on ${url}`);
    const kv = await archiveKv(nc.jetstream(), info.config.num_replicas);
    const where = `stream ${stream} on ${url}`;
    return {
      where,
      headSeq: info.state.last_seq,
      horizonSeq: info.state.messages === 0 ? info.state.last_seq + 1 : info.state.first_seq,
      replicaSeq: null,
      event: async (seq) => {
        const m = await jsm.streams.getMessage(stream, { seq });
        return decodeLogRecord(m.json(), seq);
      },
      existing: async (seq) => {
        const entry = await kv.get(quarantineKey(stream, seq));
        return entry === null || entry.operation !== "PUT" ? undefined : (parseQuarantineEntry(entry.json()) ?? undefined);
      },
      add: (entry) => writeQuarantineKv(kv, stream, entry),
      close: () => nc.close(),
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
