/**
 * Checks a registry against a scratch Kuzu database before any replica runs it: its schema
 * creates, every template prepares against it, and — for version 2 on — the previous version's
 * schema plus `migrate` gives exactly the declared schema. Gateways run it before they append a
 * registry event; `sync-server plan` and `sync-server check` print it.
 * @module
 */
import { statementsOf, type WireRegistry, type WireTemplate } from "@kuzu-sync/protocol";
import * as k from "./kuzu.ts";
import { describeSchema, diffSchemas, type SchemaDifference } from "./schema-shape.ts";

/** What a check found; `ok` when all lists are empty. */
export interface RegistryProblems {
  readonly ok: boolean;
  /** Statements of `schema` or `migrate` that Kuzu refused, with its message. */
  readonly steps: readonly string[];
  /** Schema after the steps vs. the declared schema (upgrades only). */
  readonly schema: readonly SchemaDifference[];
  /** Templates whose statements do not prepare against the schema (e.g. a table they use was dropped). */
  readonly templates: readonly string[];
}

/**
 * Check a registry on its own: its schema runs on an empty database and every template prepares.
 * @example const p = await checkRegistrySchema(registry.toWire()); if (!p.ok) refuse(p);
 */
export async function checkRegistrySchema(registry: WireRegistry): Promise<RegistryProblems> {
  return withScratch(async (conn) => {
    const steps = await runAll(conn, registry.schema, "schema");
    const templates = steps.length > 0 ? [] : await prepareAll(conn, registry.templates);
    return problems(steps, [], templates);
  });
}

/**
 * Check the upgrade `previous` → `next` (`next.version` = `previous.version + 1`): `previous.schema`
 * then `next.migrate` on one scratch database must give the schema `next.schema` gives on another,
 * and every template of `next` must prepare after the steps.
 * @example const p = await checkMigration(logRegistry, fileRegistry.toWire());
 */
export async function checkMigration(previous: WireRegistry, next: WireRegistry): Promise<RegistryProblems> {
  return withScratch(async (migrated) =>
    withScratch(async (declared) => {
      const before = await runAll(migrated, previous.schema, `version ${previous.version}'s schema`);
      if (before.length > 0) return problems(before, [], []);
      const steps = await runAll(migrated, next.migrate, "migrate");
      const declaredSteps = await runAll(declared, next.schema, "schema");
      if (declaredSteps.length > 0) return problems([...steps, ...declaredSteps], [], []);
      const schema = diffSchemas(await describeSchema(declared), await describeSchema(migrated));
      const templates = steps.length > 0 ? [] : await prepareAll(migrated, next.templates);
      return problems(steps, schema, templates);
    }),
  );
}

/** Every statement a template runs (its single form, then its batch form). */
export function templateStatements(t: WireTemplate): string[] {
  return [...statementsOf(t.cypher), ...(t.batch ? statementsOf(t.batch.cypher) : [])];
}

async function runAll(conn: k.Connection, statements: readonly string[], what: string): Promise<string[]> {
  const errors: string[] = [];
  for (const [i, s] of statements.entries()) {
    try {
      await k.runPrepared(conn, s);
    } catch (error) {
      errors.push(`${what}[${i}] \`${s}\` fails: ${error instanceof Error ? error.message : String(error)}`);
      break; // later statements usually depend on this one
    }
  }
  return errors;
}

async function prepareAll(conn: k.Connection, templates: readonly WireTemplate[]): Promise<string[]> {
  const errors: string[] = [];
  for (const t of templates) {
    for (const s of templateStatements(t)) {
      const prepared = await conn.prepare(s);
      if (!prepared.isSuccess()) errors.push(`template ${t.name} does not prepare against the schema: ${prepared.getErrorMessage()}`);
    }
  }
  return errors;
}

function problems(steps: string[], schema: SchemaDifference[], templates: string[]): RegistryProblems {
  return { ok: steps.length === 0 && schema.length === 0 && templates.length === 0, steps, schema, templates };
}

async function withScratch<T>(task: (conn: k.Connection) => Promise<T>): Promise<T> {
  const db = k.openDatabase(null);
  const conn = k.openConnection(db);
  try {
    return await task(conn);
  } finally {
    await conn.close();
    await db.close();
  }
}
