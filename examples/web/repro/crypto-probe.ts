/**
 * Bun 1.4.5's browser polyfill of `node:crypto` (run.ts bundles this with `--target browser`):
 * `createHash` is not a function at run time, whether called at load or later.
 * @module
 */
import { createHash } from "node:crypto";

let result: string;
try {
  result = createHash("sha256").update("x").digest("hex");
} catch (error) {
  result = String(error);
}
Object.assign(globalThis, { reproResults: { createHash: result } });
