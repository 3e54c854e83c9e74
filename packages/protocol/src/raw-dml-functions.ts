/**
 * The functions a raw DML statement may call: an allowlist of Kuzu 0.11 built-ins that are
 * deterministic, do not crash the engine, and whose cost and result size the checker can bound,
 * each with the rules for its arguments. Everything else is refused, most with a reason (see
 * {@link EXCLUDED_FUNCTIONS}); what was found by running Kuzu 0.11 is in docs/SECURITY.md.
 * @module
 */
import type { Token } from "./cypher-lexer.ts";
import { ELEMENT_BYTES, Kind, SCALAR, STORED, add, largest, times, value, type Size, type Val } from "./raw-dml-values.ts";

/** One argument of a call, as the expression parser saw it. */
export interface CallArg {
  readonly val: Val;
  /** First token of the argument, for the position in a refusal. */
  readonly at: Token;
}

/** What a function's rules can ask of the call being checked. */
export interface CallSite {
  /** Upper-case function name. */
  readonly name: string;
  readonly args: readonly CallArg[];
  /** Refuse the statement, pointing at argument `index` (or the call). */
  fail(index: number | null, message: string): never;
}

export interface FunctionSpec {
  /** Fewest and most arguments. */
  readonly arity: readonly [min: number, max: number];
  /**
   * Graph kinds each argument may be (index past the end: the last entry); absent: none. Any
   * other graph value is refused: converting one would store Kuzu's internal ids.
   */
  readonly graph?: readonly number[];
  /** Argument that must hold a graph value (e.g. `label(x)`: Kuzu 0.11 crashes on a struct). */
  readonly needsGraph?: number;
  readonly result: (call: CallSite) => Val;
}

// ---- argument rules -----------------------------------------------------------------------

const ordinal = (i: number): string => ["first", "second", "third", "fourth"][i] ?? `${i + 1}th`;

/**
 * The integer literal at argument `i`, within [min, max]: the result's size (or Kuzu's safety)
 * depends on it, and nothing but a literal can be judged before the statement runs.
 */
function intLiteral(call: CallSite, i: number, min: bigint, max: bigint | null, why: string): bigint {
  const n = call.args[i]?.val.int;
  const range = max === null ? `at least ${min}` : `between ${min} and ${max}`;
  if (n === undefined) call.fail(i, `the ${ordinal(i)} argument of ${call.name} must be an integer literal ${range}: ${why}`);
  if (n < min || (max !== null && n > max)) call.fail(i, `the ${ordinal(i)} argument of ${call.name} is ${n}; it must be ${range}: ${why}`);
  return n;
}

function stringLiteral(call: CallSite, i: number, why: string): string {
  const text = call.args[i]?.val.text;
  if (text === undefined) call.fail(i, `the ${ordinal(i)} argument of ${call.name} must be a string literal: ${why}`);
  return text;
}

const sizeOf = (call: CallSite, i: number): Size => call.args[i]?.val.size ?? SCALAR;
const count = (n: bigint): number => Number(n);

// ---- result rules -------------------------------------------------------------------------

const scalar = (c = SCALAR.c) => (): Val => value({ c, m: 0 });
const same = (i = 0) => (call: CallSite): Val => value(sizeOf(call, i));
const scaled = (i: number, k: number, extra = 0) => (call: CallSite): Val => value(add(times(sizeOf(call, i), k), { c: extra, m: 0 }));
const sumOf = (perArg = 0) => (call: CallSite): Val => value(add(...call.args.map((a) => a.val.size), { c: perArg * call.args.length, m: 0 }));
const largestOf = (call: CallSite): Val => value(largest(...call.args.map((a) => a.val.size)));

const fn = (arity: readonly [number, number], result: (call: CallSite) => Val, more: Partial<FunctionSpec> = {}): FunctionSpec => ({ arity, result, ...more });

const MANY = Number.POSITIVE_INFINITY;
const GRAPH_FUNCTION_SIZE = 256;

/** `range(a, b[, step])`: every bound a literal, so the list's length is known. */
function range(call: CallSite): Val {
  const why = "the list's length must be known before the statement runs";
  const from = intLiteral(call, 0, -(2n ** 63n), 2n ** 63n - 1n, why);
  const to = intLiteral(call, 1, -(2n ** 63n), 2n ** 63n - 1n, why);
  const step = call.args.length > 2 ? intLiteral(call, 2, -(2n ** 63n), 2n ** 63n - 1n, why) : 1n;
  if (step === 0n) call.fail(2, "the step of RANGE must not be 0");
  const length = (step > 0n ? to >= from : to <= from) ? (to - from) / step + 1n : 0n;
  return value({ c: count(length) * (SCALAR.c + ELEMENT_BYTES), m: 0 }, { element: SCALAR });
}

function regexpGroup(call: CallSite): void {
  if (call.args.length > 2) intLiteral(call, 2, 0n, 1000n, "Kuzu 0.11 crashes on a negative group index");
}

function listToString(call: CallSite): Val {
  const sep = sizeOf(call, 0);
  if (sep.m > 0) call.fail(0, "the separator of LIST_TO_STRING must have a size known from the statement (it is repeated once per element)");
  // Each element prints as at most twice its size (a number's digits), plus one separator.
  return value(add(times(sizeOf(call, 1), 2 + sep.c), { c: 64, m: 0 }));
}

function concatWs(call: CallSite): Val {
  const parts = call.args.slice(1).map((a) => a.val.size);
  return value(add(...parts, times(sizeOf(call, 0), Math.max(0, parts.length - 1))));
}

function properties(call: CallSite): Val {
  const key = stringLiteral(call, 1, "the property must be named in the statement");
  if (key.startsWith("_")) call.fail(1, `property ${JSON.stringify(key)} is one of Kuzu's internal fields (names starting with '_' hold internal ids, which differ between replicas)`);
  // A path has at most 31 nodes (Kuzu's variable-length limit is 30 hops).
  return value(times(STORED, 32));
}

function structExtract(call: CallSite): Val {
  const field = stringLiteral(call, 1, "the field must be named in the statement");
  if (field.startsWith("_")) call.fail(1, `field ${JSON.stringify(field)} is one of Kuzu's internal fields (names starting with '_' hold internal ids)`);
  return value(sizeOf(call, 0));
}

function listSort(call: CallSite): Val {
  for (let i = 1; i < call.args.length; i++) stringLiteral(call, i, "the sort order is 'ASC'/'DESC' and 'NULLS FIRST'/'NULLS LAST'");
  return value(sizeOf(call, 0));
}

// ---- the allowlist ------------------------------------------------------------------------

const numbers = ["ABS", "ACOS", "ASIN", "ATAN", "ATAN2", "BITWISE_XOR", "CBRT", "CEIL", "CEILING", "COS", "COT", "DEGREES", "EVEN", "FLOOR", "GAMMA", "LGAMMA", "LN", "LOG", "LOG10", "LOG2", "NEGATE", "POW", "RADIANS", "ROUND", "SIGN", "SIN", "SQRT", "TAN"];
const dates = [
  "DATE", "TIMESTAMP", "INTERVAL", "TO_INTERVAL", "DATE_PART", "DATEPART", "DATE_TRUNC", "DATETRUNC", "DAYNAME", "MONTHNAME", "LAST_DAY", "MAKE_DATE",
  "CENTURY", "EPOCH_MS", "TO_EPOCH_MS", "TO_DATE", "TO_TIMESTAMP", "TO_YEARS", "TO_MONTHS", "TO_DAYS", "TO_HOURS", "TO_MINUTES", "TO_SECONDS",
  "TO_MILLISECONDS", "TO_MICROSECONDS",
];
const toScalars = ["TO_BOOL", "TO_INT8", "TO_INT16", "TO_INT32", "TO_INT64", "TO_INT128", "TO_UINT8", "TO_UINT16", "TO_UINT32", "TO_UINT64", "TO_FLOAT", "TO_DOUBLE"];

const entries: [string[], FunctionSpec][] = [
  [numbers, fn([1, 2], scalar())],
  [["PI"], fn([0, 0], scalar())],
  // text
  [["CONCAT"], fn([1, MANY], sumOf())],
  [["CONCAT_WS"], fn([2, MANY], concatWs)],
  [["CONTAINS", "ENDS_WITH", "STARTS_WITH", "PREFIX", "SUFFIX", "REGEXP_MATCHES"], fn([2, 2], scalar())],
  // Case mapping is per character, but a character's UTF-8 form can grow (ɐ → Ɐ is 2 → 3 bytes).
  [["INITCAP", "LCASE", "LOWER", "TOLOWER", "UCASE", "UPPER", "TOUPPER"], fn([1, 1], scaled(0, 2))],
  [["LTRIM", "RTRIM", "TRIM", "REVERSE", "ENCODE", "DECODE"], fn([1, 1], same())],
  [["LEFT", "RIGHT"], fn([2, 2], same())],
  [["OCTET_LENGTH"], fn([1, 1], scalar())],
  [["MD5", "SHA256"], fn([1, 1], scalar(64))],
  [
    ["LPAD", "RPAD"],
    fn([3, 3], (call) => {
      // Kuzu truncates to the count: the result is at most `count` characters whatever the input.
      const n = intLiteral(call, 1, 0n, null, "the result is that many characters long, so its size must be known before the statement runs");
      return value({ c: count(n) * 4, m: 0 });
    }),
  ],
  [
    ["REPEAT"],
    fn([2, 2], (call) => {
      // A negative count makes Kuzu 0.11 loop for ever; 2^32 or more makes it write past a buffer.
      const n = intLiteral(call, 1, 0n, null, "the result is the string that many times over, so its size must be known before the statement runs (Kuzu 0.11 crashes or never returns on negative and huge counts)");
      return value(times(sizeOf(call, 0), count(n)));
    }),
  ],
  [
    ["SUBSTR", "SUBSTRING"],
    fn([3, 3], (call) => {
      // Kuzu 0.11 crashes on a negative length (e.g. substring('hello', 2, -5)); s[a:b] never does.
      const n = intLiteral(call, 2, 0n, null, "Kuzu 0.11 crashes on a negative length; use s[start:end] slicing for computed bounds");
      const s = sizeOf(call, 0);
      return value(s.m > 0 ? { c: count(n) * 4, m: 0 } : { c: Math.min(s.c, count(n) * 4), m: 0 });
    }),
  ],
  [["REGEXP_EXTRACT"], fn([2, 3], (call) => (regexpGroup(call), value(sizeOf(call, 0))))],
  [["REGEXP_EXTRACT_ALL"], fn([2, 3], (call) => (regexpGroup(call), value(add(times(sizeOf(call, 0), 1 + ELEMENT_BYTES), { c: ELEMENT_BYTES, m: 0 }))))],
  [["REGEXP_SPLIT_TO_ARRAY"], fn([2, 2], scaled(0, 1 + ELEMENT_BYTES, ELEMENT_BYTES))],
  // lists, maps, structs
  [["LIST_APPEND", "ARRAY_APPEND", "ARRAY_PUSH_BACK", "LIST_PREPEND", "ARRAY_PREPEND", "ARRAY_PUSH_FRONT"], fn([2, 2], sumOf(ELEMENT_BYTES))],
  [["LIST_CAT", "LIST_CONCAT", "ARRAY_CAT", "ARRAY_CONCAT", "MAP"], fn([2, 2], sumOf())],
  [["LIST_CONTAINS", "LIST_HAS", "ARRAY_CONTAINS", "ARRAY_HAS", "LIST_POSITION", "LIST_INDEXOF", "ARRAY_POSITION", "ARRAY_INDEXOF"], fn([2, 2], scalar())],
  [["LIST_DISTINCT", "LIST_REVERSE", "MAP_KEYS", "MAP_VALUES"], fn([1, 1], same())],
  [["LIST_UNIQUE", "LIST_PRODUCT", "LIST_SUM", "CARDINALITY"], fn([1, 1], scalar())],
  [["LIST_ELEMENT", "LIST_EXTRACT", "ARRAY_EXTRACT", "ELEMENT_AT", "MAP_EXTRACT"], fn([2, 2], same())],
  [["LIST_SORT", "LIST_REVERSE_SORT"], fn([1, 3], listSort)],
  [["LIST_TO_STRING"], fn([2, 2], listToString)],
  [["RANGE"], fn([2, 3], range)],
  [["ARRAY_VALUE"], fn([1, MANY], sumOf(ELEMENT_BYTES))],
  [["STRUCT_EXTRACT"], fn([2, 2], structExtract)],
  [["COALESCE", "IFNULL", "GREATEST", "LEAST"], fn([1, MANY], largestOf)],
  [["NULLIF"], fn([2, 2], same())],
  // dates and times from explicit values
  [dates, fn([1, 3], scalar())],
  // conversions (of values; a node, relationship or path is refused by the graph rules)
  [["STRING", "TO_STRING"], fn([1, 1], scaled(0, 3, 64))],
  [toScalars, fn([1, 1], scalar())],
  [["TO_BLOB", "BLOB"], fn([1, 1], same())],
  [["TYPEOF"], fn([1, 1], scalar(1024))],
  // graph values: what they say about the graph, never their internal ids
  [["LABEL", "LABELS"], fn([1, 1], scalar(GRAPH_FUNCTION_SIZE), { graph: [Kind.NODE | Kind.REL], needsGraph: 0 })],
  [["KEYS"], fn([1, 1], scalar(4096), { graph: [Kind.NODE | Kind.REL], needsGraph: 0 })],
  [["LENGTH", "IS_TRAIL", "IS_ACYCLIC"], fn([1, 1], scalar(), { graph: [Kind.PATH], needsGraph: 0 })],
  [["START_NODE", "END_NODE"], fn([1, 1], () => ({ kinds: Kind.NODE, size: { c: 0, m: 0 } }), { graph: [Kind.REL], needsGraph: 0 })],
  [["NODES", "RELS", "RELATIONSHIPS"], fn([1, 1], () => ({ kinds: Kind.GRAPH_LIST, size: { c: 0, m: 0 } }), { graph: [Kind.PATH], needsGraph: 0 })],
  [["PROPERTIES"], fn([2, 2], properties, { graph: [Kind.GRAPH_LIST, 0], needsGraph: 0 })],
  [["SIZE"], fn([1, 1], scalar(), { graph: [Kind.GRAPH_LIST] })],
  // aggregates whose result does not depend on row order (floating-point SUM/AVG aside)
  [["COUNT"], fn([1, 1], scalar(), { graph: [Kind.NODE | Kind.REL | Kind.PATH] })],
  [["SUM", "AVG"], fn([1, 1], scalar())],
  [["MIN", "MAX"], fn([1, 1], same())],
];

/**
 * Functions a raw DML statement may call, by upper-case name (Kuzu's names are case-insensitive).
 * `COUNT(*)` and `CAST(x AS T)` have their own syntax.
 * @example RAW_DML_FUNCTIONS.get("REPEAT")?.arity // [2, 2]
 */
export const RAW_DML_FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map(entries.flatMap(([names, spec]) => names.map((n) => [n, spec] as const)));

const INTERNAL_IDS = "internal ids differ between a replica built by replay and one built from a snapshot, so storing one makes replicas diverge";
const UUIDS = "UUID values crash Kuzu 0.11's string functions (string_split, =~ …)";
const SPLITS = "Kuzu 0.11 crashes when it is handed a UUID (a UUID property, for instance); use regexp_split_to_array";

/**
 * Built-ins left out on purpose, with the reason a refusal gives. (Time, randomness and sequences
 * are refused as keywords, see `FORBIDDEN_KEYWORDS`.)
 * @example EXCLUDED_FUNCTIONS.get("ID") // "internal ids differ between …"
 */
export const EXCLUDED_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ["ID", INTERNAL_IDS],
  ["OFFSET", INTERNAL_IDS],
  ["INTERNAL_ID", INTERNAL_IDS],
  ["HASH", `it hashes Kuzu's in-memory representation; ${INTERNAL_IDS}`],
  ["FACTORIAL", "it loops as many times as its argument says, in one call no timeout can stop (and overflows past 20)"],
  ["LEVENSHTEIN", "its cost is the product of its arguments' lengths, in one call no timeout can stop"],
  ["LIST_HAS_ALL", "its cost is the product of its arguments' lengths, in one call no timeout can stop"],
  ["UUID", UUIDS],
  ["TO_UUID", UUIDS],
  ["STRING_SPLIT", SPLITS],
  ["STR_SPLIT", SPLITS],
  ["STRING_TO_ARRAY", SPLITS],
  ["REGEXP_FULL_MATCH", "Kuzu 0.11 crashes when it is handed a UUID (a UUID property, for instance); use regexp_matches(s, '^(?:…)$')"],
  ["SPLIT_PART", "Kuzu 0.11 crashes when it is handed a UUID (a UUID property, for instance); use regexp_extract"],
  ["REGEXP_REPLACE", "Kuzu 0.11 crashes when it is handed a UUID (a UUID property, for instance)"],
  ["LIST_SLICE", "Kuzu 0.11 crashes when the sliced value is a UUID (a UUID property, for instance); use list_element or substring"],
  ["ARRAY_SLICE", "Kuzu 0.11 crashes when the sliced value is a UUID (a UUID property, for instance); use list_element or substring"],
  ["COLLECT", "its result depends on row order, which differs between replicas"],
  ["LIST_ANY_VALUE", "its result depends on row order, which differs between replicas"],
  ["LIST_TRANSFORM", "lambdas are not allowed in raw DML"],
  ["LIST_FILTER", "lambdas are not allowed in raw DML"],
  ["LIST_REDUCE", "lambdas are not allowed in raw DML"],
  ["TO_JSON", `it serialises nodes and relationships with their internal ids; ${INTERNAL_IDS}`],
]);

/** Graph kinds an argument position accepts. */
export function graphKindsFor(spec: FunctionSpec, index: number): number {
  const g = spec.graph;
  if (g === undefined || g.length === 0) return 0;
  return g[Math.min(index, g.length - 1)] ?? 0;
}
