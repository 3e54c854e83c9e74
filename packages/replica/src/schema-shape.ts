/**
 * What a replica's schema is, read back from Kuzu (tables, columns with types, defaults and keys,
 * relationship connections), and the differences between two of them in words a registry author
 * can act on. A registry upgrade is checked with it: the previous version's schema plus the new
 * version's `migrate` must give exactly the new `schema`.
 * @module
 */
import * as k from "./kuzu.ts";
import { META_TABLE } from "./meta.ts";

/** One column of a table. */
export interface ColumnShape {
  readonly name: string;
  readonly type: string;
  /** Kuzu's default expression text ("NULL" when none). */
  readonly default: string;
  readonly primaryKey: boolean;
}

/** One node or relationship table. Columns are compared by name: their order does not matter. */
export interface TableShape {
  readonly name: string;
  readonly type: "NODE" | "REL";
  readonly columns: readonly ColumnShape[];
  /** REL tables: `FROM → TO` pairs, sorted. */
  readonly connections: readonly string[];
}

/** Every table of a replica but kuzu-sync's own meta table, sorted by name. */
export interface SchemaShape {
  readonly tables: readonly TableShape[];
}

/**
 * Read the schema of the database behind `conn`.
 * @example const shape = await describeSchema(conn);
 */
export async function describeSchema(conn: k.Connection): Promise<SchemaShape> {
  const tables: TableShape[] = [];
  for (const t of await k.run(conn, "CALL show_tables() RETURN name, type")) {
    const name = String(t["name"]);
    if (name === META_TABLE) continue;
    const type = String(t["type"]) === "REL" ? "REL" : "NODE";
    const columns = (await k.run(conn, `CALL table_info(${k.stringLiteral(name)}) RETURN *`)).map((c) => ({
      name: String(c["name"]),
      type: String(c["type"]),
      default: String(c["default expression"] ?? "NULL"),
      primaryKey: c["primary key"] === true,
    }));
    const connections =
      type === "REL"
        ? (await k.run(conn, `CALL show_connection(${k.stringLiteral(name)}) RETURN *`)).map((c) => `${String(c["source table name"])} → ${String(c["destination table name"])}`).sort()
        : [];
    tables.push({ name, type, columns: columns.sort((a, b) => cmp(a.name, b.name)), connections });
  }
  return { tables: tables.sort((a, b) => cmp(a.name, b.name)) };
}

/** A difference between the schema a registry declares and the one its steps produce. */
export interface SchemaDifference {
  /** What differs, in one sentence. */
  readonly message: string;
  /** A step that would remove the difference, when one is obvious. */
  readonly suggestion?: string;
}

/**
 * How `actual` (what the steps produce) differs from `expected` (what the registry declares).
 * Empty when they are the same.
 * @example const problems = diffSchemas(declared, migrated).map((d) => `${d.message} ${d.suggestion ?? ""}`);
 */
export function diffSchemas(expected: SchemaShape, actual: SchemaShape): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  const got = new Map(actual.tables.map((t) => [t.name, t]));
  const want = new Map(expected.tables.map((t) => [t.name, t]));
  for (const e of expected.tables) {
    const a = got.get(e.name);
    if (!a) {
      out.push({ message: `table ${e.name} (${e.type}) is declared in schema but the steps do not create it`, suggestion: createStatement(e) });
      continue;
    }
    if (a.type !== e.type) {
      out.push({ message: `table ${e.name} is a ${e.type} table in schema but a ${a.type} table after the steps` });
      continue;
    }
    const cols = new Map(a.columns.map((c) => [c.name, c]));
    for (const c of e.columns) {
      const ac = cols.get(c.name);
      if (!ac) {
        out.push({
          message: `column ${e.name}.${c.name} ${c.type} is declared in schema but the steps do not add it`,
          suggestion: `ALTER TABLE ${e.name} ADD ${c.name} ${c.type}${c.default === "NULL" ? "" : ` DEFAULT ${c.default}`}`,
        });
        continue;
      }
      if (ac.type !== c.type) out.push({ message: `column ${e.name}.${c.name} is ${c.type} in schema but ${ac.type} after the steps` });
      if (ac.default !== c.default) out.push({ message: `column ${e.name}.${c.name} defaults to ${c.default} in schema but to ${ac.default} after the steps` });
      if (ac.primaryKey !== c.primaryKey) out.push({ message: `column ${e.name}.${c.name} is ${c.primaryKey ? "" : "not "}the primary key in schema but ${ac.primaryKey ? "is" : "is not"} after the steps` });
    }
    const declared = new Set(e.columns.map((c) => c.name));
    for (const ac of a.columns) {
      if (!declared.has(ac.name)) out.push({ message: `column ${e.name}.${ac.name} exists after the steps but is not in schema`, suggestion: `ALTER TABLE ${e.name} DROP ${ac.name}` });
    }
    if (e.connections.join("|") !== a.connections.join("|")) {
      out.push({ message: `relationship ${e.name} connects ${e.connections.join(", ") || "nothing"} in schema but ${a.connections.join(", ") || "nothing"} after the steps` });
    }
  }
  for (const a of actual.tables) {
    if (!want.has(a.name)) out.push({ message: `table ${a.name} exists after the steps but is not in schema`, suggestion: `DROP TABLE ${a.name}` });
  }
  return out;
}

function createStatement(t: TableShape): string {
  const cols = t.columns.map((c) => `${c.name} ${c.type}${c.default === "NULL" ? "" : ` DEFAULT ${c.default}`}`);
  if (t.type === "NODE") {
    const pk = t.columns.find((c) => c.primaryKey);
    return `CREATE NODE TABLE ${t.name}(${[...cols, ...(pk ? [`PRIMARY KEY(${pk.name})`] : [])].join(", ")})`;
  }
  const ends = t.connections.map((c) => `FROM ${c.replace(" → ", " TO ")}`);
  return `CREATE REL TABLE ${t.name}(${[...ends, ...cols].join(", ")})`;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
