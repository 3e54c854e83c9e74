/**
 * What the raw DML checker knows about a value before the statement runs: which kinds of thing it
 * may be (a node, a relationship, a path, an untyped NULL, an ordinary value), and an upper bound
 * on its size. Kuzu gives no other handle on a statement's cost: a single `repeat()` or `lpad()`
 * is evaluated in one uninterruptible call (at `prepare()` when its arguments are literals), so a
 * query timeout cannot stop it, and Kuzu 0.11 crashes outright on several argument shapes.
 *
 * Sizes are `c + m·S` in bytes: `c` is what the statement itself can make (literals, `repeat`,
 * `range`, …), `S` the size of one value already stored in the graph (unknown, but the same for
 * every replica) and `m` how many such values an expression can hold at once.
 * @module
 */

/** Kinds of value, as a bit set: an expression may be any of several. */
export const Kind = {
  /** A node bound by a pattern (or `start_node`/`end_node`). */
  NODE: 1,
  /** A relationship bound by a fixed-length pattern. */
  REL: 2,
  /** A path variable or a variable-length relationship (Kuzu's RECURSIVE_REL). */
  PATH: 4,
  /** `nodes(p)`, `rels(p)` and slices of them. */
  GRAPH_LIST: 8,
  /** One element of `nodes(p)`/`rels(p)`: a struct holding the internal id, not a node. */
  ELEMENT: 16,
  /** A bare `NULL` (Kuzu's ANY type): several Kuzu 0.11 functions crash when handed one. */
  NULL: 32,
  /** Anything else: numbers, strings, lists, maps, dates… */
  VALUE: 64,
} as const;

/** Every graph kind: values that carry Kuzu's internal ids. */
export const GRAPH = Kind.NODE | Kind.REL | Kind.PATH | Kind.GRAPH_LIST | Kind.ELEMENT;
/** A variable the checker has not seen bound: it may be anything. */
export const UNKNOWN = GRAPH | Kind.VALUE;

/** An upper bound on a value's size: `c + m·S` bytes (see the module comment). */
export interface Size {
  readonly c: number;
  readonly m: number;
}

/** What the checker knows about an expression's value. */
export interface Val {
  readonly kinds: number;
  readonly size: Size;
  /** The integer the statement spells out, when it is one (`5`, `-1`, `(3)`). */
  readonly int?: bigint;
  /** The string the statement spells out, when it is a literal. */
  readonly text?: string;
  /** For a list: a bound on one element (what `UNWIND` binds), when tighter than the whole. */
  readonly element?: Size;
}

/** A number, boolean, date, … : small and fixed. */
export const SCALAR: Size = { c: 16, m: 0 };
/** One value read from the graph. */
export const STORED: Size = { c: 0, m: 1 };
/** Per-element overhead of a list. */
export const ELEMENT_BYTES = 8;

/**
 * An ordinary value of the given size.
 * @example value(SCALAR) // { kinds: Kind.VALUE, size: { c: 16, m: 0 } }
 */
export function value(size: Size, known: { readonly int?: bigint; readonly text?: string; readonly element?: Size } = {}): Val {
  return { kinds: Kind.VALUE, size, ...known };
}

/** @example add({ c: 1, m: 1 }, { c: 2, m: 0 }) // { c: 3, m: 1 } */
export function add(...sizes: readonly Size[]): Size {
  let c = 0;
  let m = 0;
  for (const s of sizes) {
    c += s.c;
    m += s.m;
  }
  return { c, m };
}

/** @example times({ c: 3, m: 1 }, 4) // { c: 12, m: 4 } */
export function times(size: Size, k: number): Size {
  return { c: size.c * k, m: size.m * k };
}

/** The larger of each part (a value that is one of several). @example largest({ c: 5, m: 0 }, { c: 1, m: 1 }) // { c: 5, m: 1 } */
export function largest(...sizes: readonly Size[]): Size {
  let c = 0;
  let m = 0;
  for (const s of sizes) {
    c = Math.max(c, s.c);
    m = Math.max(m, s.m);
  }
  return { c, m };
}

/**
 * Whether a (non-empty) kind set holds nothing but kinds in `allowed`.
 * @example onlyKinds(Kind.NODE, Kind.NODE | Kind.REL) // true
 */
export function onlyKinds(kinds: number, allowed: number): boolean {
  return (kinds & ~allowed) === 0 && kinds !== 0;
}

/**
 * How a kind set reads in a refusal.
 * @example describeKinds(Kind.NODE | Kind.REL) // "a node or a relationship"
 */
export function describeKinds(kinds: number): string {
  const names: string[] = [];
  if (kinds & Kind.NODE) names.push("a node");
  if (kinds & Kind.REL) names.push("a relationship");
  if (kinds & Kind.PATH) names.push("a path");
  if (kinds & Kind.GRAPH_LIST) names.push("a list of nodes or relationships");
  if (kinds & Kind.ELEMENT) names.push("an element of nodes()/rels()");
  if (kinds & Kind.NULL) names.push("an untyped NULL");
  if (kinds & Kind.VALUE) names.push("a value");
  return names.length <= 2 ? names.join(" or ") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

/** The static size limits of one statement (see `RawDmlLimits`). */
export interface SizeLimits {
  /** Largest value one expression may compute, in bytes (the `c` part). */
  readonly maxValueBytes: number;
  /** Sum of every computed value's `c` in the statement. */
  readonly maxStatementBytes: number;
  /** Most stored values one expression may hold at once (the `m` part). */
  readonly maxStoredCopies: number;
  /** Sum of every computed value's `m` in the statement. */
  readonly maxStatementStoredCopies: number;
}

/**
 * Counts what a statement computes, per value and in total; past a limit it says why.
 * @example
 * const budget = new Budget(RawDmlLimits);
 * budget.spend({ c: 2_000_000, m: 0 }); // "… 2000000 bytes, more than the 1048576 a value may have"
 */
export class Budget {
  #bytes = 0;
  #copies = 0;

  constructor(readonly limits: SizeLimits) {}

  /** Why a computed value of this size is refused, or null (it is then counted). */
  spend(size: Size): string | null {
    const l = this.limits;
    if (!(size.c <= l.maxValueBytes)) return `its result can reach ${formatBytes(size.c)}, more than the ${formatBytes(l.maxValueBytes)} one value may have`;
    if (!(size.m <= l.maxStoredCopies)) return `its result can hold ${formatCopies(size.m)} stored values at once, more than the ${l.maxStoredCopies} one value may hold`;
    this.#bytes += size.c;
    this.#copies += size.m;
    if (this.#bytes > l.maxStatementBytes) return `the values this statement computes add up to more than ${formatBytes(l.maxStatementBytes)}`;
    if (this.#copies > l.maxStatementStoredCopies) return `the values this statement computes hold more than ${l.maxStatementStoredCopies} stored values at once`;
    return null;
  }
}

function formatBytes(n: number): string {
  return Number.isFinite(n) && n < 1e15 ? `${Math.ceil(n)} bytes` : "an unbounded size";
}

function formatCopies(n: number): string {
  return Number.isFinite(n) && n < 1e15 ? String(Math.ceil(n)) : "unboundedly many";
}
