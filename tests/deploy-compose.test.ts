/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: the real
 * `docker-compose config -q` validates the file, and the resolved config holds what the
 * deployment promises (pinned images, JetStream fsync, health-gated start order, no secrets).
 * tests/deploy-compose-smoke.test.ts runs the services themselves.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { COMPOSE_FILE, loadCompose, mounts, REPO, runCompose, type ComposeService } from "./support/compose.ts";

const config = loadCompose();
const svc = (name: string): ComposeService => {
  const s = config.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

describe("docker-compose.yml", () => {
  test("docker-compose config -q accepts it", () => {
    const r = runCompose(["config", "-q"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("has the services of the deployment", () => {
    expect(Object.keys(config.services).sort()).toEqual(
      ["archiver", "archiver-embedded", "minio", "minio-init", "nats", "sync-server", "sync-server-2", "sync-server-embedded"].sort(),
    );
  });

  test("third-party images are pinned; nats is 2.10 or newer", () => {
    for (const name of ["nats", "minio", "minio-init"]) {
      const image = svc(name).image ?? "";
      expect(image, name).toMatch(/^[\w./-]+:[\w.-]*\d[\w.-]*$/);
      expect(image, name).not.toMatch(/:latest$/);
    }
    const [, major, minor] = /^nats:(\d+)\.(\d+)\.\d+/.exec(svc("nats").image ?? "") ?? [];
    expect(Number(major) * 1000 + Number(minor)).toBeGreaterThanOrEqual(2010);
    expect(svc("minio-init").image).toStartWith("minio/mc:");
  });

  test("nats runs JetStream from a config file with sync_interval: always, on a volume", () => {
    const nats = svc("nats");
    const natsMounts = mounts(nats);
    const conf = natsMounts.find((m) => m.type === "bind");
    expect(conf?.target).toBe("/etc/nats/nats.conf");
    expect(nats.command).toEqual(["-c", "/etc/nats/nats.conf"]);
    const text = readFileSync(conf!.source, "utf8");
    expect(text).toMatch(/^jetstream\s*\{[^}]*^\s*sync_interval:\s*always\s*$/m);
    expect(text).toMatch(/^\s*store_dir:\s*\/data\s*$/m);
    expect(natsMounts).toContainEqual({ type: "volume", source: "nats-data", target: "/data" });
    expect(nats.healthcheck?.test.join(" ")).toContain("/healthz");
  });

  test("minio has a volume and a healthcheck; the bucket is made once, after minio is healthy", () => {
    expect(svc("minio").healthcheck?.test.length).toBeGreaterThan(1);
    expect(mounts(svc("minio"))).toContainEqual({ type: "volume", source: "minio-data", target: "/data" });
    const init = svc("minio-init");
    expect(init.depends_on).toEqual({ minio: { condition: "service_healthy" } });
    expect(String(init.command)).toContain("mc mb --ignore-existing");
  });

  test("the gateways: built here, JetStream log via nats, data on a volume, /health check, published port", () => {
    for (const [name, port] of [["sync-server", 8080], ["sync-server-2", 8081]] as const) {
      const s = svc(name);
      expect(s.build, name).toBeDefined();
      expect(s.environment).toMatchObject({ LOG_BACKEND: "jetstream", NATS_URL: "nats://nats:4222", NATS_STREAM: "KUZU_SYNC_EVENTS", DATA_DIR: "/data", PORT: "8080" });
      expect(mounts(s)).toContainEqual({ type: "volume", source: name === "sync-server" ? "gateway-1-data" : "gateway-2-data", target: "/data" });
      expect(s.healthcheck?.test.join(" ")).toContain("127.0.0.1:8080/health");
      expect((s.ports ?? []).map((p) => ({ target: p.target, published: String(p.published) }))).toContainEqual({ target: 8080, published: String(port) });
      expect(s.depends_on).toEqual({ nats: { condition: "service_healthy" } });
    }
  });

  test("the default stack's archiver runs `sync-archiver run` on a schedule against MinIO, on the gateways' JetStream log", () => {
    const a = svc("archiver");
    expect(a.profiles).toBeUndefined();
    expect((a.command as string[]).join(" ")).toMatch(/while :; do sync-archiver run --older-than .*sleep .*done/);
    const gatewayEnv = svc("sync-server").environment!;
    expect(a.environment).toMatchObject({
      S3_ENDPOINT: "http://minio:9000",
      LOG_BACKEND: "jetstream",
      NATS_URL: gatewayEnv["NATS_URL"],
      NATS_STREAM: gatewayEnv["NATS_STREAM"],
    });
    expect(mounts(a)).toEqual([]); // the log is the stream; nothing on disk
    expect(a.depends_on).toEqual({
      "sync-server": { condition: "service_healthy" },
      "sync-server-2": { condition: "service_healthy" },
      "minio-init": { condition: "service_completed_successfully" },
    });
  });

  test("--profile embedded: an archiver runs `sync-archiver run` on a schedule against MinIO, on the embedded gateway's volume", () => {
    const a = svc("archiver-embedded");
    const gw = svc("sync-server-embedded");
    expect(a.profiles).toEqual(["embedded"]);
    expect(gw.profiles).toEqual(["embedded"]);
    const loop = (a.command as string[]).join(" ");
    expect(loop).toMatch(/while :; do sync-archiver run --older-than .*sleep .*done/);
    expect(a.environment).toMatchObject({ S3_ENDPOINT: "http://minio:9000", LOG_BACKEND: "embedded", DATA_DIR: "/data" });
    expect(gw.environment).toMatchObject({ LOG_BACKEND: "embedded", DATA_DIR: "/data" });
    const volumeOf = (s: ComposeService) => mounts(s).find((m) => m.type === "volume" && m.target === "/data")?.source;
    expect(volumeOf(gw)).toBe("gateway-embedded-data");
    expect(volumeOf(a)).toBe(volumeOf(gw)!);
    expect(a.depends_on).toEqual({
      "sync-server-embedded": { condition: "service_healthy" },
      "minio-init": { condition: "service_completed_successfully" },
    });
  });

  test("every depends_on waits on a condition", () => {
    for (const [name, s] of Object.entries(config.services)) {
      for (const [dep, d] of Object.entries(s.depends_on ?? {})) {
        expect(["service_healthy", "service_completed_successfully"], `${name} -> ${dep}`).toContain(d.condition);
      }
    }
  });

  test("no secret is written in the compose file; development defaults come from .env", () => {
    const raw = readFileSync(COMPOSE_FILE, "utf8");
    for (const key of ["MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
      for (const m of raw.matchAll(new RegExp(`^\\s*${key}:\\s*(.*)$`, "gm"))) expect(m[1], key).toMatch(/^\$\{[A-Z_]+:\?set in \.env\}$/);
    }
    const dotenv = readFileSync(join(REPO, ".env"), "utf8");
    expect(dotenv).toMatch(/^MINIO_ROOT_USER=\S+$/m);
    expect(dotenv).toMatch(/^MINIO_ROOT_PASSWORD=\S+$/m);
    expect(dotenv).toMatch(/NOT secrets/);
  });
});

describe("Dockerfile", () => {
  const dockerfile = readFileSync(join(REPO, "Dockerfile"), "utf8");

  test("multi-stage on a pinned Debian-based Bun image, production install from the lockfile, non-root", () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toBe("oven/bun:1.4.5-slim");
    expect(dockerfile).toContain("bun install --frozen-lockfile --production");
    expect(dockerfile).toMatch(/^USER bun$/m);
    expect(dockerfile).toContain("require('kuzu')");
    expect(existsSync(join(REPO, ".dockerignore"))).toBe(true);
  });

  test("copies every workspace package.json into the install stage", () => {
    const packages = readdirSync(join(REPO, "packages")).filter((p) => existsSync(join(REPO, "packages", p, "package.json")));
    for (const p of packages) expect(dockerfile, p).toContain(`COPY packages/${p}/package.json packages/${p}/`);
  });
});
