/**
 * Checks the Cypher files of an exported database before `IMPORT DATABASE` runs them. A snapshot
 * comes over the network, and Kuzu executes whatever those files say (`LOAD FROM`, `ATTACH`,
 * `INSTALL`, `COPY … TO` reach files, the network and native code), so only the statement shapes
 * Kuzu's own export writes for a kuzu-sync schema are accepted.
 * @module
 */
import { existsSync, join, readdirSync, readFileSync } from "#host-fs";
import { ErrorCode, SyncError } from "@kuzu-sync/protocol";

const SCHEMA_LINE = /^CREATE (NODE TABLE|REL TABLE|SEQUENCE) /;
const COPY_LINE = /^COPY `[^`]+`(?: \([^()]*\))? FROM "([A-Za-z0-9_][A-Za-z0-9_.-]*\.parquet)"(?: \([A-Za-z0-9_='", ]*\))?;$/;
/** Files Kuzu 0.11 writes that must be empty for a kuzu-sync replica (no indexes, no macros). */
const MUST_BE_EMPTY = new Set(["index.cypher", "macro.cypher"]);

function reject(dir: string, file: string, why: string): never {
  throw new SyncError(ErrorCode.BAD_MESSAGE, `snapshot ${dir} is not importable: ${file}: ${why}`);
}

/**
 * Throw a SyncError unless every `.cypher` file in `dir` holds only table DDL and `COPY … FROM`
 * of a Parquet file inside `dir`.
 * @example checkExportedCypher("/tmp/snapshot"); // then IMPORT DATABASE '/tmp/snapshot'
 */
export function checkExportedCypher(dir: string): void {
  if (!existsSync(join(dir, "schema.cypher"))) reject(dir, "schema.cypher", "missing");
  const files = new Set(readdirSync(dir));
  for (const name of files) {
    if (!name.endsWith(".cypher")) continue;
    const lines = readFileSync(join(dir, name), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "");
    if (name === "schema.cypher") {
      for (const l of lines) if (!SCHEMA_LINE.test(l)) reject(dir, name, `unexpected statement ${JSON.stringify(l.slice(0, 80))}`);
    } else if (name === "copy.cypher") {
      for (const l of lines) {
        const m = COPY_LINE.exec(l);
        if (!m) reject(dir, name, `unexpected statement ${JSON.stringify(l.slice(0, 80))}`);
        if (!files.has(m[1]!)) reject(dir, name, `refers to ${m[1]} which is not in the snapshot`);
      }
    } else if (MUST_BE_EMPTY.has(name)) {
      if (lines.length > 0) reject(dir, name, "indexes and macros are not supported in snapshots");
    } else {
      reject(dir, name, "unknown file");
    }
  }
}
