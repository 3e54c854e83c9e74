/**
 * How events, parameters and templates read in a terminal. Parameters print in the same
 * `key=value` syntax the REPL and `send` accept, so a printed event can be typed back.
 * @module
 */
import type { SequencedEvent, WireRegistry } from "@kuzu-sync/protocol";
import { noColors, type Colors } from "./colors.ts";
import { describeParams } from "./params.ts";
import { toJson } from "./table.ts";

const BARE = /^[^\s"'\\=]+$/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * A client id for a terminal line: a UUID inside it cut to its first 8 characters, like a short
 * git hash (`client-6f1c4c7e`). JSON output keeps the full id.
 * @example shortClientId("client-6f1c4c7e-7d1a-4b1e-9e8a-0c8c5c8f0b3a") // "client-6f1c4c7e"
 */
export function shortClientId(clientId: string): string {
  return clientId.replace(UUID, (uuid) => uuid.slice(0, 8));
}

/**
 * @example formatParams({ id: "u1", name: "Alice Smith", amount: 5 }) // 'id=u1 name="Alice Smith" amount:=5'
 */
export function formatParams(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (typeof v === "string" ? `${k}=${BARE.test(v) ? v : JSON.stringify(v)}` : `${k}:=${toJson(v)}`))
    .join(" ");
}

export interface EventLineOptions {
  /** Outcome on the local replica, when known. */
  readonly ok?: boolean;
  readonly error?: string;
}

/**
 * One event on one line: `#12 CREATE_USER id=u3 name=Carol  · client-1a2b3c4d 12:03:04.123`.
 * @example formatEvent(event, colors)
 */
export function formatEvent(event: SequencedEvent, colors: Colors = noColors, options: EventLineOptions = {}): string {
  const time = new Date(event.serverTimestamp).toISOString().slice(11, 23);
  const failed = options.ok === false ? ` ${colors.red(`✗ failed to apply: ${options.error ?? "unknown error"}`)}` : "";
  return `${colors.cyan(`#${event.seq}`)} ${colors.bold(event.template)} ${formatParams(event.params)}${failed}  ${colors.dim(`· ${shortClientId(event.clientId)} ${time}`)}`;
}

/** Where the log moved to another registry version (the client's `registry` event, or a registry event read by `watch`). */
export interface RegistryChangeLine {
  readonly version: number;
  readonly hash: string;
  readonly seq: number;
}

/**
 * A registry change on one line: `registry version 2 (3f2a9c1b7d4e…) at seq 41`. It is not an
 * event of a template (docs/PROTOCOL.md §10): `watch` and the REPL print it as this line and do
 * not count it as an event.
 * @example formatRegistryChange({ version: 2, hash, seq: 41 }, colors)
 */
export function formatRegistryChange(change: RegistryChangeLine, colors: Colors = noColors): string {
  return `${colors.magenta("registry")} version ${colors.bold(String(change.version))} ${colors.dim(`(${change.hash.slice(0, 12)}…)`)} at seq ${colors.cyan(String(change.seq))}`;
}

/**
 * The template list of `sync-client templates` and the REPL's `templates`: name, parameter
 * signature (required parameters marked `*`), description.
 * @example formatTemplates(client.registry!, colors)
 */
export function formatTemplates(registry: Pick<WireRegistry, "templates">, colors: Colors = noColors): string {
  if (registry.templates.length === 0) return colors.dim("(no templates)");
  const width = Math.max(0, ...registry.templates.map((t) => t.name.length));
  const lines = registry.templates.map((t) => {
    const head = `${colors.bold(t.name.padEnd(width))}  ${describeParams(t)}`;
    return t.description ? `${head}\n${" ".repeat(width + 2)}${colors.dim(t.description)}` : head;
  });
  return [...lines, colors.dim("* required; name = default")].join("\n");
}

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Seconds as "850ms", "12s", "3m05s", "1h02m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${s}s`;
  if (s < 3_600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3_600)}h${String(Math.floor((s % 3_600) / 60)).padStart(2, "0")}m`;
}
