/**
 * `sync-server --bootstrap-from`: a gateway added to a JetStream stream after an archive pass
 * copies its server replica (`GET /snapshot`) and id index (`GET /index-snapshot`) from a running
 * peer, then serves exactly like the gateways that saw the whole history. Real nats-server,
 * s3rver, `sync-archiver` and gateway processes.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { positionsAt, streamState } from "./support/aged-stream.ts";
import { startArchiveStack, STREAM } from "./support/archive-stack.ts";
import { ClientPool, graphState, writeHistory } from "./support/clients.ts";
import { tempDir, type GatewayProcess } from "./support/gateway-process.ts";
import { waitForReplica } from "./support/health.ts";
import { getJson } from "./support/jetstream.ts";
import { freePort } from "./support/nats-server.ts";
import { makeEvent, RawSocket } from "./support/raw-socket.ts";
import { STRICT_TEMPLATES_PATH } from "./support/strict-templates.ts";
import { tokenKit } from "./support/tokens.ts";

setDefaultTimeout(60_000);

interface Stats {
  headSeq: number;
  countsFromSeq: number;
  events: { total: number; byTemplate: Record<string, number>; byClient: Record<string, number> };
}

/**
 * What must be the same on every gateway at the same head: the log's counts (not the since-start
 * and per-second figures, which are the process's own) and the aggregates.
 */
async function derived(gw: GatewayProcess): Promise<unknown> {
  const { headSeq, countsFromSeq, events } = await getJson<Stats>(gw.httpUrl, "/stats");
  const { total, byTemplate, byClient } = events;
  return { headSeq, countsFromSeq, events: { total, byTemplate, byClient }, aggregates: await getJson(gw.httpUrl, "/aggregates") };
}

/** Send `event` on a raw socket (hello at `lastSeq`) and return the answer (ack or reject). */
async function send(gw: GatewayProcess, event: Record<string, unknown>, lastSeq: number, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  await using socket = (await RawSocket.hello(gw.url, String(event["clientId"]), lastSeq, { headers })).socket;
  socket.send({ type: "event", event });
  for (;;) {
    const m = await socket.next();
    if (m["type"] === "ack" || m["type"] === "reject") return m;
  }
}

/**
 * A plain HTTP hop to `target`: each request is fetched from there in full and its body passed
 * through `relay(path, body)` before the answer goes back (a slow or damaging network, under the
 * test's control).
 */
function serveHop(target: string, relay: (path: string, body: Uint8Array) => Promise<Uint8Array>): { url: string } & AsyncDisposable {
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const res = await fetch(`${target}${path}`, { headers: req.headers });
      const body = await relay(path, new Uint8Array(await res.arrayBuffer()));
      return new Response(body, { status: res.status, headers: res.headers });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, [Symbol.asyncDispose]: () => server.stop(true) };
}

/** Start a gateway expected to fail; its output. */
async function failedStart(start: Promise<GatewayProcess>): Promise<string> {
  return start.then(
    () => "started",
    (e: unknown) => String(e),
  );
}

describe("JetStream: bootstrap a new gateway from a peer", () => {
  test("after an archive pass a third gateway starts from its peer's replica and index, and serves the same state, counts and dedupe", async () => {
    // Declared before the stack: its gateways (the one on this dir included) stop before it goes.
    using dir3 = tempDir();
    await using stack = await startArchiveStack("jetstream", 2);
    const [gw1, gw2] = [stack.gateways[0]!, stack.gateways[1]!];
    const natsUrl = stack.nats!.url;
    await using pool = new ClientPool();
    const early = makeEvent("CREATE_USER", { id: "early", name: "Early" }, "raw-writer");
    const earlyAck = await send(gw1, early, 0);
    const w1 = await pool.connect(gw1.url);
    const w2 = await pool.connect(gw2.url);
    await writeHistory(w1, 90, "a");
    const archived = await writeHistory(w2, 90, "b");
    await stack.archiveAll(archived);
    // More history after the pass: the stream holds part of the log.
    await writeHistory(w1, 30, "c");
    const head = await writeHistory(w2, 30, "d");
    expect(await streamState(natsUrl, STREAM)).toEqual({ first: archived + 1, last: head, messages: head - archived });
    for (const gw of [gw1, gw2]) await waitForReplica(gw.httpUrl, head);

    const gw3 = await stack.startGateway({ dataDir: dir3.path, args: ["--bootstrap-from", gw1.httpUrl] });
    expect(gw3.output.join("\n")).toContain("bootstrapped from a peer gateway");
    await waitForReplica(gw3.httpUrl, head);
    const expected = await derived(gw1);
    expect(expected).toMatchObject({ headSeq: head, countsFromSeq: 1 });
    expect(await derived(gw2)).toEqual(expected);
    expect(await derived(gw3)).toEqual(expected);

    // A client of the new gateway (below the horizon: snapshot) ends with the same graph.
    const reader3 = await pool.connect(gw3.url);
    await reader3.waitForSeq(head);
    await w1.waitForSeq(head);
    expect(await graphState(reader3)).toEqual(await graphState(w1));

    // Writes through the new gateway reach everyone, in one order.
    const w3 = await pool.connect(gw3.url);
    const next = await writeHistory(w3, 40, "e");
    // w3 too: its acks come before its replica has applied its own events (the first apply on a
    // replica fresh from a snapshot prepares its statements), and its graph is compared below.
    for (const c of [w1, w2, w3, reader3]) await c.waitForSeq(next);
    const state = await graphState(w1);
    for (const c of [w2, w3, reader3]) expect(await graphState(c)).toEqual(state);
    for (const gw of [gw1, gw2, gw3]) await waitForReplica(gw.httpUrl, next);
    const after = await derived(gw1);
    for (const gw of [gw2, gw3]) expect(await derived(gw)).toEqual(after);
    // It records its own position for the archiver (a new origin, not its peer's).
    expect((await positionsAt(natsUrl, STREAM, 3, next)).size).toBe(3);

    // A late resend of an archived event: a duplicate with its original seq, on old and new gateways alike.
    expect(earlyAck).toMatchObject({ duplicate: false });
    for (const gw of [gw3, gw1]) expect(await send(gw, early, next)).toEqual({ type: "ack", id: early["id"], seq: earlyAck["seq"], duplicate: true });
    expect(await streamState(natsUrl, STREAM)).toMatchObject({ last: next });

    // Restarted with the flag still set, it has nothing to copy.
    expect(await gw3.stop()).toBe(0);
    const again = await stack.startGateway({ dataDir: dir3.path, args: ["--bootstrap-from", gw1.httpUrl] });
    expect(again.output.join("\n")).toContain("--bootstrap-from not needed");
    await waitForReplica(again.httpUrl, next);
  });

  test("refusals: without the flag it names it; peer down, token refused, other registry, damaged index: exit 1, data dir untouched; with the token it works", async () => {
    using keys = tempDir();
    using dir = tempDir();
    await using kit = await tokenKit(keys.path);
    const auth = { AUTH_JWT_SECRET: kit.env["AUTH_JWT_SECRET"]! };
    await using stack = await startArchiveStack("jetstream", 0);
    const gw1 = await stack.startGateway({ env: auth });
    await using pool = new ClientPool();
    const writer = await pool.connect(gw1.url, { clientId: "alice", token: await kit.mint({ sub: "alice" }) });
    const head = await writeHistory(writer, 40, "x");
    await stack.archiveAll(head);

    const without = await failedStart(stack.startGateway({ dataDir: dir.path }));
    expect(without).toContain("exited with 1");
    expect(without).toContain(`is at seq 0 but the log starts at seq ${head + 1}`);
    expect(without).toContain("--bootstrap-from");

    // What the data dir holds (here: what the refused start left, and one more file) stays as it was.
    writeFileSync(join(dir.path, "keep.txt"), "x");
    const before = readdirSync(dir.path, { recursive: true }).sort();
    const down = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await failedStart(stack.startGateway({ dataDir: dir.path, args: ["--bootstrap-from", down] }));
    expect(unreachable).toContain("exited with 1");
    expect(unreachable).toContain(`cannot bootstrap from peer ${down}: cannot download ${down}/snapshot`);
    expect(unreachable).toContain("the data directory was left as it was");
    expect(readdirSync(dir.path, { recursive: true }).sort()).toEqual(before);

    const token = await kit.mint({ sub: "gateway-3" });
    const noToken = await failedStart(stack.startGateway({ dataDir: dir.path, args: ["--bootstrap-from", gw1.httpUrl] }));
    expect(noToken).toContain(`cannot bootstrap from peer ${gw1.httpUrl}: ${gw1.httpUrl}/snapshot answered HTTP 401`);
    expect(noToken).toContain("BOOTSTRAP_TOKEN");
    expect(readdirSync(dir.path, { recursive: true }).sort()).toEqual(before);
    // A snapshot of another registry is refused before anything is imported.
    const otherRegistry = await failedStart(
      stack.startGateway({ dataDir: dir.path, env: { BOOTSTRAP_TOKEN: token }, args: ["--templates", STRICT_TEMPLATES_PATH, "--bootstrap-from", gw1.httpUrl] }),
    );
    expect(otherRegistry).toContain(`cannot bootstrap from peer ${gw1.httpUrl}: the peer's snapshot was built with registry `);
    expect(otherRegistry).toContain("(TEMPLATES_PATH must be the same)");
    expect(readdirSync(dir.path, { recursive: true }).sort()).toEqual(before);
    // An index copy damaged on the way fails its sha256 check.
    await using damaging = serveHop(gw1.httpUrl, async (path, body) => {
      if (path === "/index-snapshot") body[body.length - 1]! ^= 1;
      return body;
    });
    const damaged = await failedStart(stack.startGateway({ dataDir: dir.path, env: { BOOTSTRAP_TOKEN: token }, args: ["--bootstrap-from", damaging.url] }));
    expect(damaged).toContain(`cannot bootstrap from peer ${damaging.url}: ${damaging.url}/index-snapshot: sha256 `);
    expect(damaged).toContain("differs from the announced");
    expect(readdirSync(dir.path, { recursive: true }).sort()).toEqual(before);
    // The index copy is guarded like the snapshot.
    expect((await fetch(`${gw1.httpUrl}/index-snapshot`)).status).toBe(401);
    // Nothing was recorded that could hold the archiver back.
    expect([...(await positionsAt(stack.nats!.url, STREAM, 1, head)).values()]).toEqual([head]);

    const gw3 = await stack.startGateway({ dataDir: dir.path, env: { ...auth, BOOTSTRAP_TOKEN: token }, args: ["--bootstrap-from", gw1.httpUrl] });
    await waitForReplica(gw3.httpUrl, head);
    expect(gw3.output.join("\n")).not.toContain(token);
    const bearer = { Authorization: `Bearer ${await kit.mint({ sub: "alice" })}` };
    const stats = async (gw: GatewayProcess) => (await (await fetch(`${gw.httpUrl}/stats`, { headers: bearer })).json()) as Stats;
    const counts = async (gw: GatewayProcess) => {
      const { byTemplate, byClient } = (await stats(gw)).events;
      return { byTemplate, byClient };
    };
    expect(await counts(gw3)).toEqual(await counts(gw1));
  });

  test("an archive pass that purges past the peer's snapshot while the new gateway bootstraps: clear error, nothing left behind", async () => {
    using dir = tempDir();
    await using stack = await startArchiveStack("jetstream", 1);
    const gw1 = stack.gateways[0]!;
    await using pool = new ClientPool();
    const writer = await pool.connect(gw1.url);
    const first = await writeHistory(writer, 30, "x");
    await stack.archiveAll(first);
    // A network hop that holds the snapshot back until the test lets it through.
    let fetched!: () => void;
    const snapshotFetched = new Promise<void>((resolve) => (fetched = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await using hop = serveHop(gw1.httpUrl, async (path, body) => {
      if (path === "/snapshot") {
        fetched();
        await released;
      }
      return body;
    });
    const starting = failedStart(stack.startGateway({ dataDir: dir.path, args: ["--bootstrap-from", hop.url] }));
    await snapshotFetched;
    const head = await writeHistory(writer, 30, "y");
    await stack.archiveAll(head);
    release();
    const error = await starting;
    expect(error).toContain("exited with 1");
    expect(error).toContain(`cannot bootstrap from peer ${hop.url}: the stream was archived past the peer's snapshot while bootstrapping (snapshot at seq ${first}, stream now starts at ${head + 1}); start again`);
    expect(readdirSync(dir.path)).toEqual([]);
    // Its position entry was removed again: only the peer's is left.
    expect([...(await positionsAt(stack.nats!.url, STREAM, 1, head)).values()]).toEqual([head]);
  });

  test("GET /index-snapshot is 404 on an embedded gateway", async () => {
    await using stack = await startArchiveStack("embedded");
    const res = await fetch(`${stack.gateways[0]!.httpUrl}/index-snapshot`);
    expect(res.status).toBe(404);
  });
});
