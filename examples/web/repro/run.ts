/**
 * Reproductions of what kuzu-wasm 0.11.3 (and Kuzu 0.11.3 itself, and Bun's browser build) do that
 * the browser replica had to work around or cannot do; README.md beside this file explains each.
 * Runs the cases on the native `kuzu` addon here, bundles wasm-probe.ts and crypto-probe.ts with
 * `bun build --target browser`, runs them in headless Chromium, and prints both side by side.
 *
 *   bun examples/web/repro/run.ts
 *
 * Needs Debian's chromium (`./dev test` installs it); nothing is downloaded.
 * @module
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import kuzu from "kuzu";
import { chromium } from "playwright-core";
import { wasmWorkerPath } from "@kuzu-sync/replica";

type NativeConnection = InstanceType<typeof kuzu.Connection>;

async function rows(conn: NativeConnection, statement: string): Promise<Record<string, unknown>[]> {
  const r = await conn.query(statement);
  const results = Array.isArray(r) ? r : [r];
  try {
    return (await results[results.length - 1]!.getAll()) as Record<string, unknown>[];
  } finally {
    for (const x of results) x.close();
  }
}

/** Case 1 on the native addon: the same statements and values as wasm-probe.ts. */
async function native(): Promise<Record<string, unknown>> {
  const db = new kuzu.Database(":memory:");
  const conn = new kuzu.Connection(db);
  try {
    await rows(conn, "CREATE NODE TABLE T(id STRING, score DOUBLE, PRIMARY KEY(id))");
    const batch = await conn.prepare("UNWIND $rows AS r CREATE (:T {id: r.id, score: r.score})");
    for (const list of [[{ id: "a", score: 2.5 }, { id: "b", score: 3 }], [{ id: "c", score: 3 }, { id: "d", score: 2.5 }]]) {
      const r = await conn.execute(batch, { rows: list } as never);
      for (const x of Array.isArray(r) ? r : [r]) x.close();
    }
    const single = await conn.prepare("CREATE (:T {id: $id, score: $score})");
    const r = await conn.execute(single, { id: "e", score: 3 } as never);
    for (const x of Array.isArray(r) ? r : [r]) x.close();
    const [n] = await rows(conn, "RETURN CAST(42 AS INT64) AS n");
    return {
      unwindMixedNumbers: (await rows(conn, "MATCH (t:T) RETURN t.id AS id, t.score AS score ORDER BY id")).map((row) => [row["id"], row["score"]]),
      int64: { typeof: typeof n?.["n"], strictlyEqual42: n?.["n"] === 42 },
    };
  } finally {
    await conn.close();
    await db.close();
  }
}

/** Bundle `entry` for the browser into `dir` with a page that loads it. */
async function bundle(entry: string, dir: string): Promise<void> {
  const result = await Bun.build({ entrypoints: [join(import.meta.dir, entry)], outdir: dir, target: "browser", naming: "probe.js" });
  if (!result.success) throw new AggregateError(result.logs, `bundling ${entry} failed`);
  writeFileSync(join(dir, "index.html"), `<!doctype html><link rel="icon" href="data:,"><script type="module" src="./probe.js"></script>`);
}

async function inBrowser(dirs: Record<string, string>): Promise<Record<string, unknown>> {
  const root = mkdtempSync(join(tmpdir(), "kuzu-sync-repro-"));
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (req) => {
      const file = Bun.file(join(root, new URL(req.url).pathname.replace(/\/$/, "/index.html")));
      return (await file.exists()) ? new Response(file) : new Response("not found", { status: 404 });
    },
  });
  const browser = await chromium.launch({
    executablePath: Bun.which("chromium") ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const out: Record<string, unknown> = {};
    for (const [name, entry] of Object.entries(dirs)) {
      const dir = join(root, name);
      await bundle(entry, dir);
      copyFileSync(wasmWorkerPath(), join(dir, "kuzu_wasm_worker.js"));
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${server.port}/${name}/`);
      // A probe that died before writing its results is reported with its page errors.
      await page.waitForFunction(() => "reproResults" in globalThis, null, { timeout: 30_000 }).catch(() => undefined);
      out[name] = { ...(await page.evaluate(() => (globalThis as unknown as { reproResults?: unknown }).reproResults ?? null)), ...(errors.length > 0 ? { pageErrors: errors } : {}) };
      await page.close();
    }
    return out;
  } finally {
    await browser.close();
    await server.stop(true);
    rmSync(root, { recursive: true, force: true });
  }
}

const report = { native: await native(), browser: await inBrowser({ wasm: "wasm-probe.ts", crypto: "crypto-probe.ts" }) };
console.log(JSON.stringify(report, null, 2));
