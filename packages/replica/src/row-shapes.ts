/**
 * Kuzu 0.11 types a list parameter of objects (`UNWIND $rows AS r`) by its first row: a number field
 * that holds a whole number in one row and a fraction in another is read with the first row's
 * type, and the others' bits are reinterpreted — `[{x: 3}, {x: 2.5}]` stores 2.5 as
 * 4612811918334231000, `[{x: 2.5}, {x: 3}]` stores 3 as 1.5e-323 (one statement per event binds
 * each value with its own type and is right). So the rows of one batch statement are cut into runs
 * of one shape: the same kind (whole number, fraction, string, boolean, null, list, object) at
 * every path. Rows of one batch commute (apply-plan.ts), so running them in a few statements
 * instead of one changes nothing; the cut depends only on the rows, so every replica makes it.
 * @module
 */

/**
 * The rows, in groups of one shape, each group in first-seen order.
 * @example splitByShape([{ x: 3 }, { x: 2.5 }, { x: 4 }]) // [[{x: 3}, {x: 4}], [{x: 2.5}]]
 */
export function splitByShape<T>(rows: readonly T[]): T[][] {
  if (rows.length <= 1) return rows.length === 0 ? [] : [[rows[0]!]];
  // The common case — every row of one shape — costs one pass and no grouping.
  const first = shape(rows[0]);
  let i = 1;
  while (i < rows.length && shape(rows[i]) === first) i++;
  if (i === rows.length) return [rows.slice()];
  const groups = new Map<string, T[]>([[first, rows.slice(0, i)]]);
  for (; i < rows.length; i++) {
    const row = rows[i]!;
    const key = shape(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()];
}

/**
 * A value's shape: kinds at every path (list elements by position, object fields in their order —
 * rows are built field by field in one order, so equal rows have equal shapes; two orders only
 * cost an extra statement). Written for speed: it runs for every row of every batch.
 */
function shape(value: unknown): string {
  if (value === null || value === undefined) return "n";
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) ? "i" : "f";
    case "string":
      return "s";
    case "boolean":
      return "b";
    case "bigint":
      return "i";
    case "object": {
      let out: string;
      if (Array.isArray(value)) {
        out = "[";
        for (const v of value) out += shape(v);
        return `${out}]`;
      }
      out = "{";
      const o = value as Record<string, unknown>;
      for (const k in o) out += `${k}:${shape(o[k])},`;
      return `${out}}`;
    }
    default:
      return "?";
  }
}
