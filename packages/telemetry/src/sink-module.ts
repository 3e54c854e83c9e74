/**
 * `LOG_TS_PATH`: load a module whose sink replaces the default JSON-lines sink.
 *
 * The module (TypeScript or JavaScript, imported by Bun) must export one of these, looked up in this
 * order — the first export present is used, and it must have the stated shape:
 *
 * 1. `createSink` — a factory `(context: SinkModuleContext) => SinkExport | Promise<SinkExport>`,
 *    called once at start-up (use it to open files or connections, or to read `context.resource`);
 * 2. `sink` (named export) — a {@link SinkExport};
 * 3. `default` — a {@link SinkExport}.
 *
 * A {@link SinkExport} is either a function `(record: LogRecord) => void`, called for every record
 * that passes `LOG_LEVEL`, or an object `{ write(record), flush?(), close?() }` whose `flush` runs on
 * `telemetry.forceFlush()` and `flush` then `close` on `telemetry.shutdown()`. Records are already
 * redacted. A sink that throws loses that record only; records after `close` are dropped.
 *
 * @example
 * // my-sink.ts — LOG_TS_PATH=./my-sink.ts
 * import type { LogRecord } from "@kuzu-sync/telemetry";
 * export default (record: LogRecord) => {
 *   process.stdout.write(`${record.severityText} ${record.body}\n`);
 * };
 * @module
 */
import { pathToFileURL } from "node:url";
import type { Attributes, Level, LogRecord, LogSink } from "./logger.ts";
import { TelemetryConfigError, type TelemetryEnv } from "./telemetry-config.ts";

/** A sink object: `write` per record, optional `flush` and `close` awaited by the telemetry. */
export interface SinkObject {
  write(record: LogRecord): void;
  flush?(): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** What a `LOG_TS_PATH` module's `sink`/default export (or its `createSink` result) may be. */
export type SinkExport = LogSink | SinkObject;

/** Passed to a module's `createSink`. */
export interface SinkModuleContext {
  /** Absolute path of the module. */
  readonly path: string;
  readonly level: Level;
  readonly resource: Attributes;
  readonly env: TelemetryEnv;
}

/** A `createSink` export. */
export type SinkFactory = (context: SinkModuleContext) => SinkExport | Promise<SinkExport>;

/** A loaded sink, normalized. */
export interface LoadedSink {
  readonly write: LogSink;
  flush(): Promise<void>;
  close(): Promise<void>;
}

const SETTING = "LOG_TS_PATH";

/**
 * Import the module at `context.path` and return its sink. Throws a {@link TelemetryConfigError}
 * naming `LOG_TS_PATH` (with the underlying error as `cause`) when the module cannot be imported, has
 * none of the accepted exports, or its factory fails or returns something that is not a sink.
 * @example
 * const sink = await loadSinkModule({ path: "/etc/kuzu-sync/sink.ts", level: "info", resource, env });
 * sink.write(record);
 * await sink.close();
 */
export async function loadSinkModule(context: SinkModuleContext): Promise<LoadedSink> {
  const where = `${SETTING}=${JSON.stringify(context.path)}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(context.path).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new TelemetryConfigError(SETTING, `${where}: cannot load the sink module: ${message(cause)}`, { cause });
  }

  let exported: unknown;
  let from: string;
  if (mod["createSink"] !== undefined) {
    const factory = mod["createSink"];
    from = "createSink()";
    if (typeof factory !== "function") {
      throw new TelemetryConfigError(SETTING, `${where}: export createSink must be a function, got ${typeof factory}`);
    }
    try {
      exported = await (factory as SinkFactory)(context);
    } catch (cause) {
      throw new TelemetryConfigError(SETTING, `${where}: createSink() failed: ${message(cause)}`, { cause });
    }
  } else if (mod["sink"] !== undefined) {
    exported = mod["sink"];
    from = "export sink";
  } else if (mod["default"] !== undefined) {
    exported = mod["default"];
    from = "export default";
  } else {
    const names = Object.keys(mod);
    throw new TelemetryConfigError(
      SETTING,
      `${where}: the module exports none of createSink, sink, default (it exports ${names.length > 0 ? names.join(", ") : "nothing"})`,
    );
  }
  return normalize(exported, `${where}: ${from}`);
}

function normalize(exported: unknown, where: string): LoadedSink {
  if (typeof exported === "function") {
    const write = exported as LogSink;
    return guard({ write: (r) => write(r) });
  }
  if (typeof exported === "object" && exported !== null && typeof (exported as SinkObject).write === "function") {
    const obj = exported as SinkObject;
    for (const hook of ["flush", "close"] as const) {
      if (obj[hook] !== undefined && typeof obj[hook] !== "function") {
        throw new TelemetryConfigError(SETTING, `${where}: ${hook} must be a function, got ${typeof obj[hook]}`);
      }
    }
    return guard(obj);
  }
  throw new TelemetryConfigError(
    SETTING,
    `${where} must be a function (record) => void or an object with write(record), got ${describe(exported)}`,
  );
}

/** Drop records once closed, and close only once. */
function guard(obj: SinkObject): LoadedSink {
  let closed: Promise<void> | undefined;
  return {
    write: (record) => {
      if (closed === undefined) obj.write(record);
    },
    flush: async () => {
      if (closed === undefined) await obj.flush?.();
    },
    close: () =>
      (closed ??= (async () => {
        await obj.flush?.();
        await obj.close?.();
      })()),
  };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return "an object without a write() method";
  return typeof value;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
