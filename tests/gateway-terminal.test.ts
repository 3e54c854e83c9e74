import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startGatewayProcess } from "./support/gateway-process.ts";
import { forEachLine } from "./support/lines.ts";

const MAIN = resolve(import.meta.dir, "../packages/sync-server/src/main.ts");

function closedPort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

describe("the gateway in a terminal", () => {
  test("LOG_FORMAT=pretty: short lines, the resource once; SIGTERM still stops it cleanly", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "gateway-pretty-"));
    const proc = Bun.spawn(["bun", MAIN, "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
      env: { ...process.env, LOG_FORMAT: "pretty", LOG_LEVEL: "info", NO_COLOR: "1" },
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const stdout: string[] = [];
      const stderr: string[] = [];
      let listening!: () => void;
      const up = new Promise<void>((r) => (listening = r));
      const reading = Promise.all([
        forEachLine(proc.stdout, (line) => (stdout.push(line), / INFO {2}listening port=\d+/.test(line) && listening())),
        forEachLine(proc.stderr, (line) => void stderr.push(line)),
      ]);
      await Promise.race([up, proc.exited.then((code) => Promise.reject(new Error(`exited ${code}: ${stderr.join("\n")}`)))]);
      proc.kill("SIGTERM");
      const code = await proc.exited;
      await reading;
      expect({ code, stdout, stderr }).toMatchObject({ code: 0 });
      const all = [...stderr, ...stdout];
      // The first record (the auth warning, on stderr) carries the resource header; no line repeats it.
      expect(all.filter((l) => l.includes("service.instance.id") || l.includes(" · instance "))).toHaveLength(1);
      expect(stderr[0]).toMatch(/^sync-server \S+ · instance [0-9a-f-]{36}$/);
      expect(stderr[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}authentication is OFF/);
      expect(stdout.find((l) => l.includes("listening"))).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}listening port=\d+ url=ws:\/\/127\.0\.0\.1:\d+ dataDir=\S+$/);
      expect(stdout.some((l) => / INFO {2}shutting down signal=SIGTERM$/.test(l))).toBe(true);
      for (const line of all) {
        expect(line.startsWith("{")).toBe(false);
        expect(line.length).toBeLessThan(200);
      }
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("without a terminal (and LOG_FORMAT unset) the lines stay JSON", async () => {
    await using gw = await startGatewayProcess({ env: { LOG_FORMAT: "" } });
    const listening = await gw.waitForLine(/"body":"listening"/);
    expect(JSON.parse(listening)).toMatchObject({ severityText: "INFO", body: "listening", resource: { "service.name": "sync-server" } });
  });

  test("an unreachable --nats-url is reported at once, and the gateway keeps serving", async () => {
    const nats = `nats://127.0.0.1:${closedPort()}`;
    await using gw = await startGatewayProcess({ args: ["--nats-url", nats] });
    const warning = JSON.parse(await gw.waitForLine(/NATS is not reachable/, 5_000)) as { severityText: string; attributes: Record<string, unknown> };
    expect(warning.severityText).toBe("WARN");
    expect(warning.attributes).toMatchObject({ natsUrl: nats, problem: expect.stringContaining("connection refused") });
    expect((await fetch(`${gw.httpUrl}/health`)).status).toBe(200);
  });
});
