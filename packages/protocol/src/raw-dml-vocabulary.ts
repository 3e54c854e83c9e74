/**
 * The words the raw DML checker knows: the functions it lets through, and the keywords it refuses
 * wherever they stand, each with the reason given back to the client.
 * @module
 */

/**
 * Bare words refused anywhere outside strings, comments and backtick names, even where Kuzu would
 * read them as a plain name (`n.load`): the clauses they start reach files, the network, native
 * code or the database's state on every replica. A real property with such a name can still be
 * written as `` n.`load` ``. `DETACH` is refused unless `DELETE` follows it.
 * @example FORBIDDEN_KEYWORDS.get("COPY") // "COPY reads and writes files"
 */
export const FORBIDDEN_KEYWORDS: ReadonlyMap<string, string> = new Map([
  ["LOAD", "LOAD FROM / LOAD EXTENSION read files, URLs and native code"],
  ["COPY", "COPY reads and writes files"],
  ["ATTACH", "ATTACH opens other databases"],
  ["DETACH", "DETACH <database> changes the attached databases (only DETACH DELETE is allowed)"],
  ["USE", "USE switches the database"],
  ["INSTALL", "INSTALL downloads native extensions"],
  ["UNINSTALL", "UNINSTALL removes extensions"],
  ["UPDATE", "UPDATE <extension> downloads native extensions"],
  ["FORCE", "FORCE INSTALL downloads native extensions"],
  ["EXTENSION", "extensions are native code"],
  ["IMPORT", "IMPORT DATABASE reads files"],
  ["EXPORT", "EXPORT DATABASE writes files"],
  ["DATABASE", "database-level statements are not DML"],
  ["CALL", "CALL runs table functions and changes settings"],
  ["YIELD", "YIELD belongs to CALL"],
  ["EXISTS", "subqueries are not allowed"],
  ["DROP", "DDL is not allowed"],
  ["ALTER", "DDL is not allowed"],
  ["RENAME", "DDL is not allowed"],
  ["MACRO", "macros are DDL"],
  ["SEQUENCE", "sequences are DDL"],
  ["BEGIN", "each DML event is its own transaction"],
  ["TRANSACTION", "each DML event is its own transaction"],
  ["COMMIT", "each DML event is its own transaction"],
  ["COMMIT_SKIP_CHECKPOINT", "each DML event is its own transaction"],
  ["ROLLBACK", "each DML event is its own transaction"],
  ["ROLLBACK_SKIP_CHECKPOINT", "each DML event is its own transaction"],
  ["CHECKPOINT", "CHECKPOINT is an administrative statement"],
  ["EXPLAIN", "EXPLAIN is not DML"],
  ["PROFILE", "PROFILE is not DML"],
  ["NOW", "time functions differ between replicas"],
  ["CURRENT_DATE", "time functions differ between replicas"],
  ["CURRENT_TIME", "time functions differ between replicas"],
  ["CURRENT_TIMESTAMP", "time functions differ between replicas"],
  ["RAND", "random functions differ between replicas"],
  ["RANDOM", "random functions differ between replicas"],
  ["GEN_RANDOM_UUID", "random functions differ between replicas"],
  ["NEXTVAL", "sequences are state outside the event log"],
  ["CURRVAL", "sequences are state outside the event log"],
]);

/**
 * Functions a raw DML statement may call (upper-case; Kuzu's names are case-insensitive): Kuzu
 * 0.11 built-ins whose result depends only on their arguments. Left out on purpose: time and
 * randomness, sequences, internal ids and offsets (`ID`, `OFFSET`, `INTERNAL_ID`), `HASH`,
 * order-dependent aggregates (`COLLECT`, `LIST_ANY_VALUE`), functions taking lambdas, extension
 * functions, macros, and table functions (only reachable through `CALL`/`LOAD FROM` anyway).
 * `COUNT(*)` and `CAST(x AS T)` have their own syntax and are always allowed.
 * @example DETERMINISTIC_FUNCTIONS.has("LOWER") // true; "GEN_RANDOM_UUID" is not there
 */
export const DETERMINISTIC_FUNCTIONS: ReadonlySet<string> = new Set([
  // numbers
  "ABS", "ACOS", "ASIN", "ATAN", "ATAN2", "BITWISE_XOR", "CBRT", "CEIL", "CEILING", "COS", "COT", "DEGREES", "EVEN",
  "FACTORIAL", "FLOOR", "GAMMA", "LGAMMA", "LN", "LOG", "LOG10", "LOG2", "NEGATE", "PI", "POW", "RADIANS", "ROUND",
  "SIGN", "SIN", "SQRT", "TAN",
  // text
  "CONCAT", "CONCAT_WS", "CONTAINS", "ENDS_WITH", "STARTS_WITH", "PREFIX", "SUFFIX", "INITCAP", "LCASE", "LOWER",
  "TOLOWER", "UCASE", "UPPER", "TOUPPER", "LEFT", "RIGHT", "LPAD", "RPAD", "LTRIM", "RTRIM", "TRIM", "REPEAT",
  "REVERSE", "SIZE", "SUBSTR", "SUBSTRING", "SPLIT_PART", "STRING_SPLIT", "STR_SPLIT", "STRING_TO_ARRAY",
  "LEVENSHTEIN", "OCTET_LENGTH", "ENCODE", "DECODE", "MD5", "SHA256", "REGEXP_MATCHES", "REGEXP_REPLACE",
  "REGEXP_EXTRACT", "REGEXP_EXTRACT_ALL", "REGEXP_FULL_MATCH", "REGEXP_SPLIT_TO_ARRAY",
  // lists, maps, structs
  "LIST_APPEND", "LIST_CAT", "LIST_CONCAT", "ARRAY_CAT", "ARRAY_CONCAT", "LIST_CONTAINS", "LIST_HAS", "LIST_HAS_ALL",
  "ARRAY_CONTAINS", "ARRAY_HAS", "LIST_DISTINCT", "LIST_UNIQUE", "LIST_ELEMENT", "LIST_EXTRACT", "ARRAY_EXTRACT",
  "LIST_POSITION", "LIST_INDEXOF", "ARRAY_POSITION", "ARRAY_INDEXOF", "LIST_PREPEND", "ARRAY_PREPEND",
  "ARRAY_APPEND", "ARRAY_PUSH_BACK", "ARRAY_PUSH_FRONT", "LIST_PRODUCT", "LIST_SUM", "LIST_REVERSE", "LIST_SORT",
  "LIST_REVERSE_SORT", "LIST_SLICE", "ARRAY_SLICE", "LIST_TO_STRING", "RANGE", "ARRAY_VALUE", "CARDINALITY",
  "ELEMENT_AT", "MAP", "MAP_EXTRACT", "MAP_KEYS", "MAP_VALUES", "STRUCT_EXTRACT", "COALESCE", "IFNULL", "NULLIF",
  "GREATEST", "LEAST",
  // dates and times from explicit values
  "DATE", "TIMESTAMP", "INTERVAL", "TO_INTERVAL", "DATE_PART", "DATEPART", "DATE_TRUNC", "DATETRUNC", "DAYNAME",
  "MONTHNAME", "LAST_DAY", "MAKE_DATE", "CENTURY", "EPOCH_MS", "TO_EPOCH_MS", "TO_DATE", "TO_TIMESTAMP", "TO_YEARS",
  "TO_MONTHS", "TO_DAYS", "TO_HOURS", "TO_MINUTES", "TO_SECONDS", "TO_MILLISECONDS", "TO_MICROSECONDS",
  // conversions
  "STRING", "TO_STRING", "TO_BOOL", "TO_INT8", "TO_INT16", "TO_INT32", "TO_INT64", "TO_INT128", "TO_UINT8",
  "TO_UINT16", "TO_UINT32", "TO_UINT64", "TO_FLOAT", "TO_DOUBLE", "TO_BLOB", "BLOB", "TO_UUID", "UUID", "TYPEOF",
  // graph values
  "LABEL", "LABELS", "KEYS", "LENGTH", "START_NODE", "END_NODE", "PROPERTIES", "NODES", "RELS", "RELATIONSHIPS",
  "IS_TRAIL", "IS_ACYCLIC",
  // aggregates whose result does not depend on row order (floating-point SUM/AVG aside)
  "COUNT", "SUM", "AVG", "MIN", "MAX",
]);
