/**
 * Bundles the example page with `bun build` (target browser: `@kuzu-sync/client` resolves its
 * browser build, kuzu-wasm instead of the native addon, an in-memory outbox instead of SQLite) and
 * puts what the page needs beside it: index.html and kuzu-wasm's worker script.
 *
 *   bun examples/web/build.ts [outdir]     # default examples/web/dist
 * @module
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { wasmWorkerPath } from "@kuzu-sync/replica";

/** What a build wrote. */
export interface ExampleBuild {
  readonly outdir: string;
  /** Size of the page's own bundle (app.js), in bytes. */
  readonly bundleBytes: number;
  /** Every module path the bundler resolved, for checks on what a browser build pulls in. */
  readonly resolved: readonly string[];
}

/**
 * @example const { outdir } = await buildExample("/tmp/web");
 */
export async function buildExample(outdir: string = join(import.meta.dir, "dist")): Promise<ExampleBuild> {
  mkdirSync(outdir, { recursive: true });
  const resolved: string[] = [];
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, "app.ts")],
    outdir,
    target: "browser",
    minify: process.env["EXAMPLE_MINIFY"] !== "0",
    sourcemap: "linked",
    plugins: [
      {
        name: "record-resolutions",
        setup(build) {
          build.onResolve({ filter: /.*/ }, (args) => {
            resolved.push(args.path);
            return undefined;
          });
        },
      },
    ],
  });
  if (!result.success) throw new AggregateError(result.logs, `bundling examples/web/app.ts failed: ${result.logs.map(String).join("\n")}`);
  copyFileSync(join(import.meta.dir, "index.html"), join(outdir, "index.html"));
  copyFileSync(wasmWorkerPath(), join(outdir, "kuzu_wasm_worker.js"));
  return { outdir, bundleBytes: Bun.file(join(outdir, "app.js")).size, resolved };
}

if (import.meta.main) {
  const { outdir, bundleBytes } = await buildExample(process.argv[2] === undefined ? undefined : resolve(process.argv[2]));
  console.log(`built ${outdir} (app.js ${(bundleBytes / 1024).toFixed(0)} KiB + kuzu_wasm_worker.js)`);
}
