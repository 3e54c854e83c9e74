/**
 * `sync-server check --templates FILE`: everything that can be known about a registry before a
 * gateway serves it, without touching any data. Exit 0 when it is sound, 2 otherwise.
 *
 * 1. It loads (`defineTemplates` runs the static checks: parameters, batch rows and keys,
 *    determinism, aggregates; see @kuzu-sync/protocol registry-check).
 * 2. Its schema runs on an empty Kuzu database.
 * 3. Kuzu prepares every statement of every template and batch form (syntax, tables, properties).
 * 4. Each batch form leaves the same graph as its single form on generated, seeded parameter sets
 *    (batch-equivalence.ts).
 * @module
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { statementsOf, type TemplateRegistry } from "@kuzu-sync/protocol";
import { ScratchGraph } from "@kuzu-sync/replica";
import { checkBatchForms, DEFAULT_EQUIVALENCE, type EquivalenceOptions } from "./batch-equivalence.ts";
import { loadRegistry } from "./server.ts";

export const CHECK_USAGE = `Usage: sync-server check [--templates <path>] [--seed <n>] [--runs <n>]

Checks a template registry without starting a gateway or touching any data, and exits 0 when it
is sound, 2 when it is not (each problem names the template and the fix):
  - it loads: every $name in a template's Cypher is a declared parameter and every declared
    parameter is used; a batch form reads its rows through UNWIND $rows AS r, each r.<field> is a
    declared parameter, its keys are declared parameters; no now(), rand(), gen_random_uuid();
    aggregates name real parameters;
  - its schema runs on an empty database, and Kuzu prepares every statement;
  - each batch form leaves exactly the graph its single form leaves, on generated parameter sets.

Options:
  --templates <path>   TEMPLATES_PATH   module exporting the registry (default: the example registry)
  --seed <n>           seed of the generated parameter sets and events (default ${DEFAULT_EQUIVALENCE.seed})
  --runs <n>           runs per batch form (default ${DEFAULT_EQUIVALENCE.runs})
  -h, --help           this text
`;

/** Where the command writes: results to `out`, usage errors to `err`. */
export interface CheckIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Exit statuses of `sync-server check`. */
export const CheckExit = Object.freeze({ SOUND: 0, PROBLEMS: 2 });

/**
 * Runs `sync-server check` with the arguments after `check`; resolves with the exit status.
 * @example process.exitCode = await runCheckCommand(["--templates", "./registry.ts"], { out, err, env: process.env });
 */
export async function runCheckCommand(args: readonly string[], io: CheckIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { templates: { type: "string" }, seed: { type: "string" }, runs: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    io.err(`sync-server check: ${(error as Error).message}\n\n${CHECK_USAGE}`);
    return CheckExit.PROBLEMS;
  }
  if (parsed.help) {
    io.out(CHECK_USAGE);
    return CheckExit.SOUND;
  }
  const seed = integer("--seed", parsed.seed, DEFAULT_EQUIVALENCE.seed, 0);
  const runs = integer("--runs", parsed.runs, DEFAULT_EQUIVALENCE.runs, 1);
  if (typeof seed === "string" || typeof runs === "string") {
    io.err(`sync-server check: ${typeof seed === "string" ? seed : runs}\n`);
    return CheckExit.PROBLEMS;
  }
  const path = parsed.templates ?? io.env["TEMPLATES_PATH"] ?? null;
  const source = path ?? "the example registry";
  let registry: TemplateRegistry;
  try {
    registry = await loadRegistry(path === null ? null : resolve(path));
  } catch (error) {
    io.out(`FAIL  ${source} does not load:\n${indent((error as Error).message)}\n\nthe registry is not sound (exit ${CheckExit.PROBLEMS})\n`);
    return CheckExit.PROBLEMS;
  }
  return checkRegistry(registry, source, { ...DEFAULT_EQUIVALENCE, seed, runs }, io);
}

/**
 * The checks after loading, on a registry already built (exported for callers that hold one).
 * @example await checkRegistry(exampleRegistry, "the example registry", DEFAULT_EQUIVALENCE, io)
 */
export async function checkRegistry(registry: TemplateRegistry, source: string, options: EquivalenceOptions, io: CheckIo): Promise<number> {
  const wire = registry.toWire();
  const withBatch = wire.templates.filter((t) => t.batch !== undefined).length;
  io.out(`registry ${source}: ${wire.templates.length} templates (${withBatch} with a batch form), hash ${wire.hash.slice(0, 12)}\n`);
  io.out(`ok    loads: parameters, batch rows and keys, determinism and aggregates check out\n`);
  let problems = 0;
  const fail = (what: string, message: string, fix: string): void => {
    problems++;
    io.out(`FAIL  ${what}: ${message}\n      Fix: ${fix}.\n`);
  };

  let graph: ScratchGraph;
  try {
    graph = await ScratchGraph.create(wire.schema);
  } catch (error) {
    fail("schema", (error as Error).message, "correct the DDL; every statement of schema must run, in order, on an empty database");
    return finish(problems, io);
  }
  const unprepared = new Set<string>();
  try {
    io.out(`ok    schema: ${wire.schema.length} statements run on an empty database\n`);
    for (const t of wire.templates) {
      const forms: [string, readonly string[]][] = [["cypher", statementsOf(t.cypher)]];
      if (t.batch !== undefined) forms.push(["batch.cypher", statementsOf(t.batch.cypher)]);
      for (const [field, statements] of forms) {
        for (const [i, statement] of statements.entries()) {
          const error = await graph.prepareError(statement);
          if (error === null) continue;
          unprepared.add(t.name);
          fail(`template ${t.name}`, `Kuzu cannot prepare its ${statements.length > 1 ? `${field}[${i}]` : field}: ${error}`, "correct the statement against the schema (table, property and parameter names)");
        }
      }
    }
    if (unprepared.size === 0) io.out(`ok    Kuzu prepares every statement\n`);
  } finally {
    await graph.close();
  }

  if (withBatch > 0) {
    const results = await checkBatchForms(registry, options);
    for (const r of results) {
      if (unprepared.has(r.template)) continue;
      if (r.ok) {
        const fallbacks = r.fallbacks === 0 ? "" : `; ${r.fallbacks} runs fell back to one event at a time because an event in them fails`;
        io.out(`ok    ${r.template}: the batch form leaves the same graph as the single form (${r.runs} runs, ${r.events} events${fallbacks})\n`);
      } else {
        fail(`template ${r.template}`, r.message ?? "the batch form differs from the single form", `${r.fix ?? "correct the batch form"} (seed ${options.seed}, ${options.runs} runs)`);
      }
    }
  }
  return finish(problems, io);
}

function finish(problems: number, io: CheckIo): number {
  if (problems === 0) {
    io.out(`the registry is sound\n`);
    return CheckExit.SOUND;
  }
  io.out(`\n${problems === 1 ? "1 problem" : `${problems} problems`}: the registry is not sound (exit ${CheckExit.PROBLEMS})\n`);
  return CheckExit.PROBLEMS;
}

function integer(flag: string, text: string | undefined, fallback: number, min: number): number | string {
  if (text === undefined) return fallback;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min ? n : `${flag} must be an integer >= ${min}, not ${JSON.stringify(text)}`;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `      ${line}`)
    .join("\n");
}
