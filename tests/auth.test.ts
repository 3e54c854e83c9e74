import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { runCli } from "./support/cli-process.ts";
import { ClientPool, graphState } from "./support/clients.ts";
import { waitForReplica } from "./support/health.ts";
import { startGatewayProcess, tempDir, type GatewayProcess } from "./support/gateway-process.ts";
import { upgradeStatus } from "./support/raw-tcp.ts";
import { RawSocket, makeEvent } from "./support/raw-socket.ts";
import { tokenKit, unsignedToken, type TokenKit } from "./support/tokens.ts";

const MAIN = new URL("../packages/sync-server/src/main.ts", import.meta.url).pathname;
const ORIGIN = "https://app.example.com";

let dir: ReturnType<typeof tempDir>;
let kit: TokenKit;
let gw: GatewayProcess;

beforeAll(async () => {
  dir = tempDir("auth-");
  kit = await tokenKit(dir.path);
  gw = await startGatewayProcess({ args: ["--allow-raw-dml"], env: { ...kit.env, ALLOWED_ORIGINS: `${ORIGIN},http://localhost:5173` } });
});
afterAll(async () => {
  await gw?.stop();
  await kit?.[Symbol.asyncDispose]();
  dir?.[Symbol.dispose]();
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const head = async () => ((await (await fetch(`${gw.httpUrl}/health`)).json()) as { headSeq: number }).headSeq;

describe("authentication happens before the upgrade", () => {
  const refused: [string, () => Promise<Record<string, string>>][] = [
    ["no token", async () => ({})],
    ["an empty bearer", async () => ({ Authorization: "Bearer " })],
    ["a token that is not a JWT", async () => bearer("not-a-jwt")],
    ["an expired token", async () => bearer(await kit.mint({ expiresIn: -60 }))],
    ["a token signed with another secret", async () => bearer(await kit.mint({ key: new TextEncoder().encode("another-secret-of-at-least-32-characters!!") }))],
    ["an RS256 token signed with a key the gateway does not know", async () => bearer(await kit.mint({ alg: "RS256", key: kit.strangerKey }))],
    ["an unsigned (alg none) token", async () => bearer(unsignedToken({ sub: "alice", exp: Math.floor(Date.now() / 1000) + 600 }))],
    // The classic confusion: HS256 "signed" with the public RSA key as the secret.
    ["HS256 keyed with the RSA public key", async () => bearer(await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("alice").setExpirationTime("10m").sign(new TextEncoder().encode(kit.rsaPublicPem)))],
    ["a token without exp", async () => bearer(await kit.mint({ expiresIn: null }))],
    ["a token without sub", async () => bearer(await kit.mint({ sub: "" }))],
    ["a malformed templates claim", async () => bearer(await kit.mint({ claims: { templates: "CREATE_USER" } }))],
    ["a bad token in the query string", async () => ({ "X-Path": "/?token=garbage" })],
  ];
  for (const [name, headers] of refused) {
    test(`${name} → HTTP 401, no socket`, async () => {
      const h = await headers();
      const path = h["X-Path"] ?? "/";
      delete h["X-Path"];
      const answer = await upgradeStatus(gw.port, { path, headers: h });
      expect(answer.status).toBe(401);
      expect(answer.headers["www-authenticate"]).toMatch(/^Bearer/);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "UNAUTHORIZED" });
    });
  }

  test("a valid token from each key source opens a socket, by header or ?token=", async () => {
    const hs = await kit.mint({ sub: "hs-user" });
    const rs = await kit.mint({ sub: "rs-user", alg: "RS256" });
    const ed = await kit.mint({ sub: "ed-user", alg: "EdDSA" });
    expect((await upgradeStatus(gw.port, { headers: bearer(hs) })).status).toBe(101);
    expect((await upgradeStatus(gw.port, { path: `/?token=${rs}` })).status).toBe(101);
    expect((await upgradeStatus(gw.port, { headers: bearer(ed) })).status).toBe(101);
    await using a = (await RawSocket.hello(gw.url, "hs-user", 0, { headers: bearer(hs) })).socket;
    await using b = (await RawSocket.hello(`${gw.url}/?token=${rs}`, "rs-user")).socket;
    await using c = (await RawSocket.hello(gw.url, "ed-user", 0, { headers: bearer(ed) })).socket;
    for (const [s, id] of [[a, "hs-user"], [b, "rs-user"], [c, "ed-user"]] as const) {
      const ev = makeEvent("INCREMENT_COUNTER", { counterId: "auth" }, id);
      s.send({ type: "event", event: ev });
      expect(await s.nextOfType("ack")).toMatchObject({ id: ev["id"] });
    }
  });

  test("HTTP routes need a token too, except /health", async () => {
    expect((await fetch(`${gw.httpUrl}/health`)).status).toBe(200);
    expect((await fetch(`${gw.httpUrl}/stats`)).status).toBe(401);
    expect((await fetch(`${gw.httpUrl}/templates`, { headers: bearer("nope") })).status).toBe(401);
    expect((await fetch(`${gw.httpUrl}/stats`, { headers: bearer(await kit.mint()) })).status).toBe(200);
  });
});

describe("authorization", () => {
  test("the hello must use the token's sub: another client's id → error FORBIDDEN, close 1008", async () => {
    const token = await kit.mint({ sub: "alice" });
    await using s = await RawSocket.open(gw.url, { headers: bearer(token) });
    s.send({ type: "hello", clientId: "bob", lastSeq: 0 });
    expect(await s.next()).toMatchObject({ type: "error", code: "FORBIDDEN" });
    expect(await s.closeEvent).toMatchObject({ code: 1008 });
  });

  test("events under another client's id are refused with FORBIDDEN", async () => {
    await using s = (await RawSocket.hello(gw.url, "alice", 0, { headers: bearer(await kit.mint({ sub: "alice" })) })).socket;
    const before = await head();
    const ev = makeEvent("CREATE_USER", { id: "x", name: "X" }, "bob");
    s.send({ type: "event", event: ev });
    expect(await s.nextOfType("reject")).toMatchObject({ id: ev["id"], code: "FORBIDDEN", retryable: false });
    expect(await head()).toBe(before);
  });

  test("the templates claim limits what a token may write (RAW_DML included)", async () => {
    const token = await kit.mint({ sub: "writer", claims: { templates: ["CREATE_USER"] } });
    await using s = (await RawSocket.hello(gw.url, "writer", 0, { headers: bearer(token) })).socket;
    const before = await head();
    const denied = [
      makeEvent("DELETE_USER", { id: "u1" }, "writer"),
      makeEvent("RAW_DML", { cypher: "CREATE (:User {id: 'r', name: 'R'})" }, "writer"),
    ];
    for (const ev of denied) {
      s.send({ type: "event", event: ev });
      const rej = await s.nextOfType("reject");
      expect(rej).toMatchObject({ id: ev["id"], code: "FORBIDDEN", retryable: false });
      expect(String(rej["message"])).toMatch(/may write: CREATE_USER/);
    }
    s.send({ type: "dml", id: "dml-denied", clientId: "writer", cypher: "CREATE (:User {id: 'r', name: 'R'})", timestamp: Date.now() });
    expect(await s.nextOfType("reject")).toMatchObject({ id: "dml-denied", code: "FORBIDDEN" });
    expect(await head()).toBe(before);
    const ok = makeEvent("CREATE_USER", { id: "w1", name: "W" }, "writer");
    s.send({ type: "event", event: ok });
    expect(await s.nextOfType("ack")).toMatchObject({ id: ok["id"], seq: before + 1 });

    const readOnly = await kit.mint({ sub: "reader", claims: { templates: [] } });
    await using r = (await RawSocket.hello(gw.url, "reader", 0, { headers: bearer(readOnly) })).socket;
    const ev = makeEvent("CREATE_USER", { id: "r1", name: "R" }, "reader");
    r.send({ type: "event", event: ev });
    expect(await r.nextOfType("reject")).toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/may write: nothing/) });
  });

  test("browser origins: others → 403; listed ones and non-browser clients (no Origin) pass", async () => {
    const token = await kit.mint();
    const evil = await upgradeStatus(gw.port, { headers: { ...bearer(token), Origin: "https://evil.example" } });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body)).toMatchObject({ error: "FORBIDDEN" });
    // The origin is judged before the token: a page on another site learns nothing about tokens.
    expect((await upgradeStatus(gw.port, { headers: { Origin: "https://evil.example" } })).status).toBe(403);
    expect((await upgradeStatus(gw.port, { headers: { ...bearer(token), Origin: ORIGIN } })).status).toBe(101);
    expect((await upgradeStatus(gw.port, { headers: { ...bearer(token), Origin: "http://localhost:5173" } })).status).toBe(101);
    expect((await upgradeStatus(gw.port, { headers: bearer(token) })).status).toBe(101);
  });
});

describe("the client and tokens", () => {
  test("an expiring token closes the socket with 4001; getToken supplies a fresh one and writes go on", async () => {
    await using pool = new ClientPool();
    let calls = 0;
    // exp has one-second resolution: this token lives between 1 and 2 seconds.
    const getToken = () => (calls++, kit.mint({ sub: "refresher", expiresIn: 2 }));
    const client = pool.make(gw.url, { clientId: "refresher", getToken });
    const closes: number[] = [];
    client.on("disconnected", (d) => closes.push(d.code));
    const reconnected = new Promise<void>((resolve) => {
      let n = 0;
      client.on("connected", () => ++n === 2 && resolve());
    });
    await client.connect();
    const { seq } = await client.executeTemplate("CREATE_USER", { id: "before-expiry", name: "B" });
    await reconnected;
    expect(closes[0]).toBe(4001);
    expect(calls).toBeGreaterThanOrEqual(2);
    const after = await client.executeTemplate("CREATE_USER", { id: "after-expiry", name: "A" });
    expect(after.seq).toBeGreaterThan(seq);
    await client.waitForSeq(after.seq);
    expect(await client.query("MATCH (u:User) WHERE u.id ENDS WITH '-expiry' RETURN u.id AS id ORDER BY id")).toEqual([{ id: "after-expiry" }, { id: "before-expiry" }]);
  });

  test("a refused token fails connect() with UNAUTHORIZED instead of retrying", async () => {
    await using pool = new ClientPool();
    const client = pool.make(gw.url, { clientId: "alice", token: await kit.mint({ expiresIn: -5 }), connectTimeoutMs: 20_000 });
    await expect(client.connect()).rejects.toMatchObject({ name: "SyncError", code: "UNAUTHORIZED" });
  });

  test("a client id other than the token's sub fails connect() with FORBIDDEN", async () => {
    await using pool = new ClientPool();
    const client = pool.make(gw.url, { clientId: "mallory", token: await kit.mint({ sub: "alice" }), connectTimeoutMs: 20_000 });
    await expect(client.connect()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  test("sendDML with a token allowed to write RAW_DML", async () => {
    await using pool = new ClientPool();
    const token = await kit.mint({ sub: "dba", claims: { templates: ["RAW_DML"] } });
    const client = await pool.connect(gw.url, { clientId: "dba", token });
    const { seq } = await client.sendDML("MERGE (u:User {id: 'dba-made'}) SET u.name = 'by raw DML'");
    await client.waitForSeq(seq);
    expect(await client.query("MATCH (u:User {id: 'dba-made'}) RETURN u.name AS name")).toEqual([{ name: "by raw DML" }]);
    await expect(client.executeTemplate("CREATE_USER", { id: "no", name: "no" })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  test("sync-client takes its token from SYNC_TOKEN and uses the token's sub as client id", async () => {
    const env = { SYNC_URL: gw.url, SYNC_TOKEN: await kit.mint({ sub: "cli-user" }) };
    const sent = await runCli(["send", "CREATE_USER", "id=cli", "name=from the CLI", "--output", "json"], { env });
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const { seq } = JSON.parse(sent.stdout) as { seq: number };
    const status = await runCli(["status", "--json"], { env });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ health: { status: "ok" } }); // it read /stats, which needs the token
    const rows = await runCli(["query", "MATCH (u:User {id: 'cli'}) RETURN u.name AS name", "--json"], { env });
    expect(JSON.parse(rows.stdout)).toEqual([{ name: "from the CLI" }]);
    expect(seq).toBeGreaterThan(0);
    const refused = await runCli(["send", "CREATE_USER", "id=cli2", "name=x"], { env: { SYNC_URL: gw.url } });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/UNAUTHORIZED|401/);
  });

  test("a snapshot bootstrap downloads GET /snapshot with the client's token", async () => {
    await using snap = await startGatewayProcess({ args: ["--snapshot-bootstrap-min", "20", "--snapshot-every", "0"], env: kit.env });
    await using pool = new ClientPool();
    const writer = await pool.connect(snap.url, { clientId: "w", token: await kit.mint({ sub: "w" }) });
    const acks = await Promise.all(Array.from({ length: 40 }, (_, i) => writer.executeTemplate("CREATE_USER", { id: `s${i}`, name: `S${i}` })));
    const head = Math.max(...acks.map((a) => a.seq));
    await waitForReplica(snap.httpUrl, head);
    expect((await fetch(`${snap.httpUrl}/snapshot`)).status).toBe(401);
    const fresh = pool.make(snap.url, { clientId: "f", getToken: () => kit.mint({ sub: "f" }) });
    const phases: string[] = [];
    let replayed = 0;
    fresh.on("snapshot", (p) => phases.push(p.phase));
    fresh.on("event", () => replayed++);
    await fresh.connect();
    expect(phases.at(-1)).toBe("done");
    expect(replayed).toBe(0);
    expect(fresh.lastAppliedSeq).toBe(head);
    await writer.waitForSeq(head);
    expect(await graphState(fresh)).toEqual(await graphState(writer));
  });

  test("no token ever reaches the gateway's log", async () => {
    expect(kit.minted.length).toBeGreaterThan(15);
    const log = gw.output.join("\n");
    for (const token of kit.minted) {
      expect(log).not.toContain(token);
      expect(log).not.toContain(token.split(".")[2]!); // not even the signature
    }
    expect(log).toContain("request refused");
    expect(log).not.toMatch(/token=[\w-]/); // query strings are cut from logged paths
  });
});

describe("start-up", () => {
  test("without auth the gateway starts with a clear warning", async () => {
    await using open = await startGatewayProcess();
    const line = await open.waitForLine(/authentication is OFF/);
    expect(JSON.parse(line)).toMatchObject({ severityText: "WARN" });
  });

  const refusals: [string, string[], Record<string, string>, RegExp][] = [
    ["--require-auth without a key source", ["--require-auth"], {}, /--require-auth is set but none of AUTH_JWT_SECRET/],
    ["an HS256 secret shorter than 32 characters", [], { AUTH_JWT_SECRET: "short" }, /AUTH_JWT_SECRET is shorter than 32/],
    ["a key file that is not a key", ["--auth-public-key-file", MAIN], {}, /AUTH_PUBLIC_KEY_FILE=.*not a PEM public key/],
    ["an origin with a path", [], { ALLOWED_ORIGINS: "https://ok.example,https://bad.example/app" }, /ALLOWED_ORIGINS.*bad\.example\/app/],
  ];
  for (const [name, args, env, message] of refusals) {
    test(`${name} stops start-up with a message naming the setting`, async () => {
      using data = tempDir();
      const proc = Bun.spawn(["bun", MAIN, "--port", "0", "--data-dir", data.path, ...args], {
        env: { ...process.env, AUTH_JWT_SECRET: "", AUTH_JWKS_URL: "", AUTH_PUBLIC_KEY_FILE: "", ...env },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
      expect(code).not.toBe(0);
      expect(stderr).toMatch(message);
    });
  }
});
