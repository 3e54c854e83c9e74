/**
 * Whether two sets of entity accesses (see `footprint.ts`) can affect each other: one writes an
 * entity, or a whole table, the other reads or writes. Unknown footprints (null) overlap with
 * everything.
 * @module
 */
import type { EntityAccess } from "./footprint.ts";

/**
 * Whether events with footprints `a` and `b` conflict: applied in either order they may leave
 * different states (or see different ones). Events that do not conflict commute.
 * @example conflicts([{ write: true, table: "USER", key: "u1" }], [{ write: false, table: "USER", key: null }]) // true
 */
export function conflicts(a: readonly EntityAccess[] | null, b: readonly EntityAccess[] | null): boolean {
  if (a === null || b === null) return true;
  for (const x of a) for (const y of b) if ((x.write || y.write) && sameEntity(x, y)) return true;
  return false;
}

/**
 * Whether the writes among `writes` touch anything `reads` reads (null: everything).
 * @example overlapsReads([{ write: false, table: "USER", key: "u1" }], [{ write: true, table: "USER", key: "u2" }]) // false
 */
export function overlapsReads(reads: readonly EntityAccess[] | null, writes: readonly EntityAccess[] | null): boolean {
  if (reads === null || writes === null) return true;
  for (const w of writes) if (w.write) for (const r of reads) if (sameEntity(r, w)) return true;
  return false;
}

/** One table, and the same key or a whole-table access on either side. */
function sameEntity(x: EntityAccess, y: EntityAccess): boolean {
  return x.table === y.table && (x.key === null || y.key === null || x.key === y.key);
}
