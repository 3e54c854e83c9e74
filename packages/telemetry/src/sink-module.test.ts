import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type LogRecord } from "./logger.ts";
import { loadSinkModule, type SinkModuleContext } from "./sink-module.ts";
import { TelemetryConfigError } from "./telemetry-config.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "kuzu-sync-sink-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const resource = { "service.name": "svc" };

/** Write a sink module that appends what it sees to `<dir>/out.jsonl`; return its context. */
async function sinkModule(name: string, source: (out: string) => string): Promise<SinkModuleContext & { out: string }> {
  const out = join(dir, "out.jsonl");
  const path = join(dir, name);
  await writeFile(path, source(JSON.stringify(out)));
  return { path, out, level: "info", resource, env: { SINK_TAG: "from-env" } };
}

const lines = async (out: string): Promise<unknown[]> =>
  (await readFile(out, "utf8").catch(() => ""))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

function record(body: string): LogRecord {
  const records: LogRecord[] = [];
  createLogger({ serviceName: "svc", sink: (r) => records.push(r) }).info(body);
  return records[0]!;
}

async function loadError(context: SinkModuleContext): Promise<TelemetryConfigError> {
  const e = await loadSinkModule(context).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(e instanceof TelemetryConfigError)) throw new Error(`expected a TelemetryConfigError, got ${String(e)}`);
  expect(e.setting).toBe("LOG_TS_PATH");
  expect(e.message).toStartWith(`LOG_TS_PATH=${JSON.stringify(context.path)}: `);
  return e;
}

describe("loadSinkModule", () => {
  test("a default-exported function receives every record", async () => {
    const ctx = await sinkModule(
      "default-fn.ts",
      (out) => `
        import { appendFileSync } from "node:fs";
        import type { LogRecord } from "@kuzu-sync/telemetry";
        export default (record: LogRecord): void => appendFileSync(${out}, JSON.stringify(record) + "\\n");
      `,
    );
    const sink = await loadSinkModule(ctx);
    sink.write(record("one"));
    sink.write(record("two"));
    await sink.close();
    expect((await lines(ctx.out)).map((r) => (r as LogRecord).body)).toEqual(["one", "two"]);
  });

  test("a named `sink` export wins over the default export", async () => {
    const ctx = await sinkModule(
      "named.ts",
      (out) => `
        import { appendFileSync } from "node:fs";
        export const sink = (r: { body: string }) => appendFileSync(${out}, JSON.stringify({ via: "sink", body: r.body }) + "\\n");
        export default (r: { body: string }) => appendFileSync(${out}, JSON.stringify({ via: "default", body: r.body }) + "\\n");
      `,
    );
    (await loadSinkModule(ctx)).write(record("x"));
    expect(await lines(ctx.out)).toEqual([{ via: "sink", body: "x" }]);
  });

  test("an async createSink factory gets the context; its object's flush/close run once, writes after close are dropped", async () => {
    const ctx = await sinkModule(
      "factory.ts",
      (out) => `
        import { appendFileSync } from "node:fs";
        import type { SinkModuleContext, SinkObject } from "@kuzu-sync/telemetry";
        const note = (o: unknown) => appendFileSync(${out}, JSON.stringify(o) + "\\n");
        export async function createSink(ctx: SinkModuleContext): Promise<SinkObject> {
          await Promise.resolve();
          note({ event: "created", level: ctx.level, service: ctx.resource["service.name"], tag: ctx.env["SINK_TAG"] });
          const buffered: string[] = [];
          return {
            write: (r) => { buffered.push(r.body); },
            flush: async () => { note({ event: "flush", bodies: buffered.splice(0) }); },
            close: () => note({ event: "close" }),
          };
        }
        export default () => { throw new Error("the factory should have been preferred"); };
      `,
    );
    const sink = await loadSinkModule(ctx);
    sink.write(record("a"));
    await sink.flush();
    sink.write(record("b"));
    await Promise.all([sink.close(), sink.close()]);
    sink.write(record("after close"));
    await sink.close();
    expect(await lines(ctx.out)).toEqual([
      { event: "created", level: "info", service: "svc", tag: "from-env" },
      { event: "flush", bodies: ["a"] },
      { event: "flush", bodies: ["b"] },
      { event: "close" },
    ]);
  });

  test("a missing file names LOG_TS_PATH", async () => {
    const e = await loadError({ path: join(dir, "nope.ts"), level: "info", resource, env: {} });
    expect(e.message).toContain("cannot load the sink module");
    expect(e.cause).toBeDefined();
  });

  test("a module that does not compile names LOG_TS_PATH", async () => {
    const ctx = await sinkModule("broken.ts", () => "export default (r => {");
    expect((await loadError(ctx)).message).toContain("cannot load the sink module");
  });

  test("a module without an accepted export lists what it exports", async () => {
    const ctx = await sinkModule("wrong-name.ts", () => "export const write = () => {};");
    expect((await loadError(ctx)).message).toContain("exports none of createSink, sink, default (it exports write)");
  });

  test("a sink that is neither a function nor a writer is rejected", async () => {
    const ctx = await sinkModule("number.ts", () => "export const sink = 42;");
    expect((await loadError(ctx)).message).toContain(
      "export sink must be a function (record) => void or an object with write(record), got number",
    );
  });

  test("a factory that throws is reported with its error", async () => {
    const ctx = await sinkModule("throws.ts", () => `export function createSink() { throw new Error("no disk"); }`);
    const e = await loadError(ctx);
    expect(e.message).toContain("createSink() failed: no disk");
    expect((e.cause as Error).message).toBe("no disk");
  });
});
