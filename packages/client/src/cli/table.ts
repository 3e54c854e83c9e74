/**
 * Query results as a psql-style table, or as JSON that survives BigInt and Date values.
 * @module
 */
import { noColors, type Colors } from "./colors.ts";

type Row = Readonly<Record<string, unknown>>;

/** `JSON.stringify` replacer: BigInt as a number when exact, else a string; Dates as ISO text. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

/**
 * Rows as one JSON array (one line), the `--json` output of `query`.
 * @example toJson([{ id: "u1" }]) // '[{"id":"u1"}]'
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer);
}

/** How one value reads in a table cell: strings bare (control characters escaped), the rest as JSON. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return value.replace(/[\n\r\t]/g, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t"));
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  return toJson(value);
}

/**
 * A table with a header, a rule and a row count.
 * @example
 * formatTable([{ id: "u1", name: "Alice" }])
 * //  id | name
 * // ----+-------
 * //  u1 | Alice
 * // (1 row)
 */
export function formatTable(rows: readonly Row[], colors: Colors = noColors): string {
  const count = `(${rows.length} ${rows.length === 1 ? "row" : "rows"})`;
  if (rows.length === 0) return colors.dim(count);
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const cells = rows.map((row) => columns.map((c) => cellText(row[c])));
  const isNumber = (v: unknown) => typeof v === "number" || typeof v === "bigint";
  const numeric = columns.map((c) => rows.some((row) => isNumber(row[c])) && rows.every((row) => isNumber(row[c]) || row[c] === null || row[c] === undefined));
  const widths = columns.map((c, i) => Math.max(Bun.stringWidth(c), ...cells.map((r) => Bun.stringWidth(r[i]!))));
  const pad = (text: string, i: number, right: boolean) => {
    const fill = " ".repeat(widths[i]! - Bun.stringWidth(text));
    return right ? fill + text : text + fill;
  };
  const header = columns.map((c, i) => ` ${colors.bold(pad(c, i, numeric[i]!))} `).join("|");
  const rule = widths.map((w) => "-".repeat(w + 2)).join("+");
  const body = cells.map((r, ri) =>
    r.map((text, i) => {
      const v = rows[ri]![columns[i]!];
      const padded = pad(text, i, numeric[i]!);
      return ` ${v === null || v === undefined ? colors.dim(padded) : padded} `;
    }).join("|"),
  );
  return [header.trimEnd(), rule, ...body.map((l) => l.trimEnd()), colors.dim(count)].join("\n");
}
