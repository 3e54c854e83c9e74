/**
 * Files a browser build must serve beside its bundle: kuzu-wasm's async build starts its Web
 * Worker from `kuzu_wasm_worker.js` next to the script that imported it.
 * @module
 */
import { dirname, join } from "node:path";

/**
 * Absolute path of `kuzu_wasm_worker.js` (about 15 MB: Kuzu compiled to WebAssembly, inlined), to
 * copy next to a browser bundle that uses `@kuzu-sync/client`.
 * @example
 * await Bun.build({ entrypoints: ["app.ts"], outdir: "dist", target: "browser" });
 * await Bun.write("dist/kuzu_wasm_worker.js", Bun.file(wasmWorkerPath()));
 */
export function wasmWorkerPath(): string {
  return join(dirname(Bun.resolveSync("kuzu-wasm", import.meta.dir)), "kuzu_wasm_worker.js");
}
