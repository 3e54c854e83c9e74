/**
 * The keywords the raw DML checker refuses wherever they stand, each with the reason given back to
 * the client. (The functions it lets through are in raw-dml-functions.ts.)
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
