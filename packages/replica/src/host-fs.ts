/**
 * The host file system the replica uses around the engine (create a database's directory, look at
 * a snapshot directory before importing it), as `#host-fs` resolves it outside a browser: Node's.
 * host-fs-browser.ts is the browser's counterpart.
 * @module
 */
export { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
export { tmpdir } from "node:os";
export { dirname, join } from "node:path";
