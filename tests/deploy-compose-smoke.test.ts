/**
 * Compose smoke test: every service of ours in docker-compose.yml is started natively with its
 * compose command and environment — `nats` mapped to a real nats-server with JetStream, `minio`
 * to a real s3rver, named volumes to temp dirs, bins through the same wrappers the image installs
 * — and must pass its own healthcheck (gateways) or finish a scheduled run (archiver). So the
 * compose file cannot drift from the real flags and variables.
 */
import { expect, test } from "bun:test";
import { installBins } from "../deploy/install-bins.ts";
import { ClientPool } from "./support/clients.ts";
import {
  argv,
  loadCompose,
  namedVolumes,
  NativeProcess,
  ourServices,
  REPO,
  requireBinary,
  startNats,
  startOrder,
  VolumeDirs,
  type ComposeConfig,
  type ComposeService,
} from "./support/compose.ts";
import { tempDir } from "./support/gateway-process.ts";
import { health, waitForReplica } from "./support/health.ts";
import { S3RVER_CREDENTIALS, startS3Server } from "./support/s3-server.ts";

function service(config: ComposeConfig, name: string): ComposeService {
  const s = config.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

function env(s: ComposeService): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.environment ?? {})) {
    if (v === null) throw new Error(`${k} has no value in the resolved compose file (missing from .env?)`);
    out[k] = v;
  }
  return out;
}

interface Started {
  readonly name: string;
  readonly proc: NativeProcess;
  readonly env: Record<string, string>;
  /** container port -> local port */
  readonly ports: Map<number, number>;
}

test("each service of ours runs natively with its compose command and environment, and is healthy", async () => {
  const config = loadCompose();
  const ours = ourServices(config);
  expect(ours.sort()).toEqual(["archiver", "archiver-embedded", "sync-server", "sync-server-2", "sync-server-embedded"]);

  const minio = env(service(config, "minio"));
  const bucket = env(service(config, "archiver"))["S3_BUCKET"];
  expect(bucket).toBeString();

  await using nats = await startNats();
  await using s3 = await startS3Server({ bucket: bucket! });
  using bin = tempDir("compose-bin-");
  installBins(bin.path, REPO);
  using volumes = new VolumeDirs();
  await using stack = new AsyncDisposableStack();

  // nats' own healthcheck passes against the real nats-server standing in for it.
  requireBinary("wget", "wget");
  const natsCheck = argv(service(config, "nats").healthcheck?.test.slice(1)).map((a) => a.replace("127.0.0.1:8222", new URL(nats.monitorUrl).host));
  const natsHealth = Bun.spawnSync(natsCheck, { stdout: "pipe", stderr: "pipe" });
  expect(natsHealth.exitCode, `nats healthcheck ${JSON.stringify(natsCheck)}: ${natsHealth.stderr.toString()}`).toBe(0);

  // Compose host names -> the local processes standing in for them.
  const hosts: Record<string, string> = { "nats:4222": `127.0.0.1:${nats.port}`, "minio:9000": new URL(s3.endpoint).host };
  const serviceHost = new RegExp(`//(${Object.keys(config.services).join("|")})[:/]`);

  const started = new Map<string, Started>();
  for (const name of startOrder(config, ours)) {
    const svc = service(config, name);
    for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
      if (ours.includes(dep)) expect(started.has(dep), `${name} depends on ${dep} (${condition})`).toBe(true);
    }
    const e = env(svc);
    for (const [k, v] of Object.entries(e)) {
      let mapped = v;
      for (const [from, to] of Object.entries(hosts)) mapped = mapped.replaceAll(from, to);
      expect(serviceHost.test(mapped), `${name}: ${k}=${v} points at a compose service this test does not map`).toBe(false);
      e[k] = mapped;
    }
    for (const [volume, target] of namedVolumes(svc)) {
      for (const [k, v] of Object.entries(e)) if (v === target) e[k] = volumes.dir(volume);
    }
    if (e["AWS_ACCESS_KEY_ID"] !== undefined) {
      // The archiver signs with MinIO's root credentials; s3rver knows only its own.
      expect([e["AWS_ACCESS_KEY_ID"], e["AWS_SECRET_ACCESS_KEY"]]).toEqual([minio["MINIO_ROOT_USER"], minio["MINIO_ROOT_PASSWORD"]]);
      e["AWS_ACCESS_KEY_ID"] = S3RVER_CREDENTIALS.accessKeyId;
      e["AWS_SECRET_ACCESS_KEY"] = S3RVER_CREDENTIALS.secretAccessKey;
    }
    // The published container port must be the one the service listens on (PORT); natively it
    // listens on port 0 and the chosen port is read from its "listening" line.
    const published = (svc.ports ?? []).map((p) => p.target);
    for (const target of published) expect(e["PORT"], `${name} publishes container port ${target}, so PORT must be it`).toBe(String(target));
    if (published.length > 0) e["PORT"] = "0";
    const ports = new Map<number, number>();
    const cmd = argv(svc.command);
    expect(cmd.length, `${name} has a command`).toBeGreaterThan(0);
    const proc = stack.use(new NativeProcess(name, cmd, { PATH: `${bin.path}:${process.env["PATH"] ?? ""}`, HOME: process.env["HOME"] ?? "/tmp", ...e }, volumes.dir(`cwd-${name}`)));
    const s: Started = { name, proc, env: e, ports };
    started.set(name, s);

    if (svc.healthcheck) {
      // The gateway logs "listening" once it serves; then the compose healthcheck must pass once.
      const listening = JSON.parse(await proc.waitForLine(/"body":"listening"/)) as { attributes: { port: number } };
      for (const target of published) ports.set(target, listening.attributes.port);
      const [kind, ...check] = svc.healthcheck.test;
      expect(kind).toBe("CMD");
      const local = argv(check).map((a) => a.replace(/127\.0\.0\.1:(\d+)/, (_m, p: string) => `127.0.0.1:${ports.get(Number(p)) ?? p}`));
      const r = Bun.spawnSync(local, { env: { PATH: process.env["PATH"] ?? "" }, stdout: "pipe", stderr: "pipe" });
      expect(r.exitCode, `${name} healthcheck ${JSON.stringify(local)}: ${r.stderr.toString()}\n${proc.output.join("\n")}`).toBe(0);
    }
  }

  // The two default gateways share one JetStream log: the stream exists, and a write on one
  // reaches the other's server replica.
  const gw1 = started.get("sync-server")!;
  const gw2 = started.get("sync-server-2")!;
  expect(gw1.env["LOG_BACKEND"]).toBe("jetstream");
  const streamName = gw1.env["NATS_STREAM"]!;
  const jsz = (await (await fetch(`${nats.monitorUrl}/jsz?streams=true`)).json()) as { account_details?: { stream_detail?: { name: string }[] }[] };
  const streams = (jsz.account_details ?? []).flatMap((a) => (a.stream_detail ?? []).map((d) => d.name));
  expect(streams, `JetStream stream ${streamName} missing: the gateway did not run on LOG_BACKEND=jetstream (a sync-server without the JetStream log ignores it: is branch nats merged?)`).toContain(streamName);

  const url = (s: Started) => `ws://127.0.0.1:${s.ports.get(8080)}`;
  const httpUrl = (s: Started) => `http://127.0.0.1:${s.ports.get(8080)}`;
  await using clients = new ClientPool();
  const writer = await clients.connect(url(gw1));
  const ack = await writer.executeTemplate("CREATE_USER", { id: "compose-u1", name: "Ada" });
  await waitForReplica(httpUrl(gw2), ack.seq);
  expect((await health(httpUrl(gw2))).headSeq).toBeGreaterThanOrEqual(ack.seq);

  // The archivers' scheduled loops: the first `sync-archiver run` on the JetStream log of the two
  // gateways, and on the embedded gateway's log.
  for (const name of ["archiver", "archiver-embedded"]) {
    const archiver = started.get(name)!;
    const line = await archiver.proc.waitForLine(/sync-archiver run exited \d+/, 60_000);
    expect(line, `${name}:\n${archiver.proc.output.join("\n")}`).toBe("sync-archiver run exited 0");
  }
}, 120_000);
