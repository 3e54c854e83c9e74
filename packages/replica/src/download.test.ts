import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DownloadError, downloadArchive, type DownloadProgress } from "./download.ts";

const body = new TextEncoder().encode("archive bytes ".repeat(1000));
const sha = new Bun.CryptoHasher("sha256").update(body).digest("hex");
const dirs: string[] = [];
const servers: { stop(force: boolean): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop(true);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A real HTTP server on port 0 answering every request with `handler`; the URL of `/archive`. */
function serve(handler: (req: Request) => Response): URL {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handler });
  servers.push(server);
  return new URL(`http://127.0.0.1:${server.port}/archive`);
}

function dest(): string {
  const d = mkdtempSync(join(tmpdir(), "download-test-"));
  dirs.push(d);
  return join(d, "archive");
}

describe("downloadArchive", () => {
  test("writes the body, reports progress, returns seq and sha256 from the prefixed headers; sends the token", async () => {
    let auth = null as string | null;
    const url = serve((req) => {
      auth = req.headers.get("authorization");
      return new Response(body, { headers: { "x-index-seq": "42", "x-index-sha256": sha, "x-other": "y" } });
    });
    const file = dest();
    const progress: DownloadProgress[] = [];
    const got = await downloadArchive(url, file, { headerPrefix: "x-index", token: "tok", onProgress: (p) => progress.push(p) });
    expect([got.seq, got.bytes, got.sha256, got.headers.get("x-other")]).toEqual([42, body.byteLength, sha, "y"]);
    expect(readFileSync(file)).toEqual(Buffer.from(body));
    expect(auth).toBe("Bearer tok");
    expect(progress.at(-1)).toEqual({ bytes: body.byteLength, total: body.byteLength, seq: 42 });
  });

  test("a sha256 other than the announced one, or an HTTP error, is a DownloadError naming the URL", async () => {
    const bad = serve(() => new Response(body, { headers: { "x-snapshot-sha256": "0".repeat(64) } }));
    await expect(downloadArchive(bad, dest())).rejects.toThrow(`${bad}: sha256 ${sha} differs from the announced ${"0".repeat(64)}`);
    const refused = serve(() => Response.json({ error: "UNAUTHORIZED" }, { status: 401 }));
    const error = await downloadArchive(refused, dest()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect([(error as DownloadError).status, (error as DownloadError).code, (error as DownloadError).message]).toEqual([401, "INTERNAL", `${refused} answered HTTP 401`]);
  });
});
