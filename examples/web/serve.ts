/**
 * Builds the example page (build.ts) and serves it: a few static files, nothing else.
 *
 *   bun run server                                  # the gateway, ws://localhost:8080
 *   bun examples/web/serve.ts                       # http://localhost:5173
 *   open http://localhost:5173/?gateway=ws://localhost:8080
 *
 * Flags: `--port N` (default 5173, 0 for any free port), `--host H` (default localhost).
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { parseArgs } from "node:util";
import { buildExample } from "./build.ts";

export interface ExampleServer extends AsyncDisposable {
  /** The page's address (append `?gateway=ws://…`). */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Build into a temp dir and serve it; `stop()` stops the server and removes the build.
 * @example
 * await using web = await serveExample({ port: 0 });
 * await page.goto(`${web.url}?gateway=${gateway.url}`);
 */
export async function serveExample(options: { readonly port?: number; readonly hostname?: string } = {}): Promise<ExampleServer> {
  const outdir = mkdtempSync(join(tmpdir(), "kuzu-sync-web-"));
  try {
    await buildExample(outdir);
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
  const server = Bun.serve({
    port: options.port ?? 5173,
    hostname: options.hostname ?? "localhost",
    async fetch(req) {
      let path: string;
      try {
        path = normalize(decodeURIComponent(new URL(req.url).pathname));
      } catch {
        return new Response("bad path", { status: 400 });
      }
      // normalize() resolves "..", so the file is always inside outdir.
      const file = Bun.file(join(outdir, path === "/" ? "index.html" : path));
      if (!(await file.exists())) return new Response("not found", { status: 404 });
      return new Response(file);
    },
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.stop(true);
    rmSync(outdir, { recursive: true, force: true });
  };
  const port = server.port ?? 0;
  return { url: `http://${options.hostname ?? "localhost"}:${port}/`, port, stop, [Symbol.asyncDispose]: stop };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { port: { type: "string" }, host: { type: "string" } } });
  const port = values.port === undefined ? 5173 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`--port ${values.port}: not a port number`);
    process.exit(2);
  }
  const web = await serveExample({ port, hostname: values.host ?? "localhost" });
  console.log(`example page at ${web.url}?gateway=ws://localhost:8080 (Ctrl-C stops it)`);
  process.on("SIGINT", () => void web.stop().then(() => process.exit(0)));
  process.on("SIGTERM", () => void web.stop().then(() => process.exit(0)));
}
