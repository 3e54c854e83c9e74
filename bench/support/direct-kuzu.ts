/**
 * Baselines for `bench/mixed.ts` that use the `kuzu` package directly, without the replica:
 * the same events grouped by template (one UNWIND of the registry's batch form per template and
 * up to 2000 rows, templates in order of first appearance — the fastest way to build nearly the
 * same graph, ignoring the order between templates), and naive (one autocommitted statement per
 * event, in seq order).
 * @module
 */
import kuzu from "kuzu";
import { statementsOf, type WireRegistry, type WireTemplate } from "@kuzu-sync/protocol";
import type { Draft } from "./mixes.ts";

type Connection = InstanceType<typeof kuzu.Connection>;
type Prepared = Awaited<ReturnType<Connection["prepare"]>>;

async function exec(conn: Connection, ps: Prepared, params: Record<string, unknown>): Promise<void> {
  const r = await conn.execute(ps, params as never);
  for (const x of Array.isArray(r) ? r : [r]) x.close();
}

async function run(conn: Connection, text: string): Promise<void> {
  const r = await conn.query(text);
  for (const x of Array.isArray(r) ? r : [r]) x.close();
}

/** Each statement prepared, with the parameters it names (Kuzu refuses extra ones). */
async function prepare(conn: Connection, text: WireTemplate["cypher"]): Promise<{ ps: Prepared; names: string[] }[]> {
  const out = [];
  for (const statement of statementsOf(text)) {
    const ps = await conn.prepare(statement);
    if (!ps.isSuccess()) throw new Error(`cannot prepare ${statement}: ${ps.getErrorMessage()}`);
    out.push({ ps, names: [...new Set([...statement.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))] });
  }
  return out;
}

function bind(t: WireTemplate, params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(t.paramNames.map((n) => [n, params[n] ?? null]));
}

function pick(values: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((n) => [n, values[n]]));
}

async function withDb<T>(registry: WireRegistry, fn: (conn: Connection) => Promise<T>): Promise<T> {
  const db = new kuzu.Database(":memory:");
  const conn = new kuzu.Connection(db);
  try {
    for (const ddl of registry.schema) await run(conn, ddl);
    return await fn(conn);
  } finally {
    await conn.close();
    await db.close();
  }
}

/** Apply `events` grouped by template; returns the milliseconds it took. */
async function applyGrouped(conn: Connection, registry: WireRegistry, events: readonly Draft[], maxRows = 2_000): Promise<number> {
  const templates = new Map(registry.templates.map((t) => [t.name, t]));
  const groups = new Map<string, Draft[]>();
  for (const e of events) {
    const g = groups.get(e.template);
    if (g) g.push(e);
    else groups.set(e.template, [e]);
  }
  const forms = new Map<string, { batch: boolean; statements: { ps: Prepared; names: string[] }[] }>();
  for (const name of groups.keys()) {
    const t = templates.get(name)!;
    forms.set(name, { batch: t.batch !== undefined, statements: await prepare(conn, t.batch?.cypher ?? t.cypher) });
  }
  const t0 = performance.now();
  for (const [name, group] of groups) {
    const t = templates.get(name)!;
    const form = forms.get(name)!;
    let chunk: Record<string, unknown>[] = [];
    let keys = new Set<string>();
    const flush = async () => {
      if (chunk.length === 0) return;
      await run(conn, "BEGIN TRANSACTION");
      if (form.batch) for (const st of form.statements) await exec(conn, st.ps, { rows: chunk });
      else for (const row of chunk) for (const st of form.statements) await exec(conn, st.ps, pick(row, st.names));
      await run(conn, "COMMIT");
      chunk = [];
      keys = new Set();
    };
    for (const e of group) {
      // Rows of one UNWIND never repeat the batch key (Kuzu's MERGE needs that).
      const key = JSON.stringify((t.batch?.keys ?? []).map((k) => e.params[k] ?? null));
      if (chunk.length >= maxRows || (t.batch && keys.has(key))) await flush();
      chunk.push(bind(t, e.params));
      keys.add(key);
    }
    await flush();
  }
  return performance.now() - t0;
}

/**
 * Events/s building the graph of `events` directly in Kuzu, grouped by template.
 * @example const direct = await groupedRate(registry.toWire(), mix.events);
 */
export function groupedRate(registry: WireRegistry, events: readonly Draft[]): Promise<number> {
  return withDb(registry, async (conn) => events.length / ((await applyGrouped(conn, registry, events)) / 1000));
}

/**
 * Events/s applying `events[from, from + count)` one autocommitted statement each (its template's
 * single form), after building `events[0, from)` grouped (not timed).
 * @example const naive = await naiveRate(registry.toWire(), mix.events, mix.setup, 3_000);
 */
export function naiveRate(registry: WireRegistry, events: readonly Draft[], from: number, count: number): Promise<number> {
  return withDb(registry, async (conn) => {
    await applyGrouped(conn, registry, events.slice(0, from));
    const templates = new Map(registry.templates.map((t) => [t.name, t]));
    const singles = new Map<string, { ps: Prepared; names: string[] }[]>();
    for (const t of registry.templates) singles.set(t.name, await prepare(conn, t.cypher));
    const timed = events.slice(from, from + count);
    const t0 = performance.now();
    for (const e of timed) {
      const bound = bind(templates.get(e.template)!, e.params);
      for (const st of singles.get(e.template)!) await exec(conn, st.ps, pick(bound, st.names));
    }
    return timed.length / ((performance.now() - t0) / 1000);
  });
}
