import { describe, expect, test } from "bun:test";
import { exampleRegistry } from "@kuzu-sync/protocol";
import { join } from "node:path";
import { ClientPool } from "./support/clients.ts";
import { REPO_ROOT, runCli, runCommand } from "./support/cli-process.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { FIRST_CLIENT_SEQ, headAfter } from "./support/log-start.ts";

/** Each test spawns several CLI processes (each opens KuzuDB): more than bun's 5 s default. */
const SLOW = 60_000;

/** A port nothing listens on: bound by the OS, then released. */
function closedPort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

describe("sync-client send / query / status", () => {
  test("send prints the seq; k=v values are typed by the template's schema; query reads them back", async () => {
    await using gw = await startGatewayProcess();
    const url = ["--url", gw.url];
    // The new log's first writes: their seqs follow the genesis registry event.
    const [s1, s2, s3] = [FIRST_CLIENT_SEQ, FIRST_CLIENT_SEQ + 1, FIRST_CLIENT_SEQ + 2];
    const counter = await runCli(["send", "INCREMENT_COUNTER", "counterId=c1", "amount=5", ...url]);
    expect(counter).toMatchObject({ code: 0, stdout: `${s1}\n` });
    // SYNC_URL instead of --url; name=5 stays the string "5" because name is a string parameter.
    const user = await runCli(["send", "CREATE_USER", "id=u1", "name=5", "--output", "json"], { env: { SYNC_URL: gw.url } });
    expect(user.code).toBe(0);
    expect(JSON.parse(user.stdout)).toEqual({ seq: s2, duplicate: false, template: "CREATE_USER" });
    const fromJson = await runCli(["send", "CREATE_USER", "--json", '{"id":"u2","name":"Bob","email":"b@x"}', "name=Bobby", "--id", "key-1", ...url]);
    expect(fromJson).toMatchObject({ code: 0, stdout: `${s3}\n` });
    // Same idempotency key again: the original seq, not a new event.
    const again = await runCli(["send", "CREATE_USER", "id=u2", "name=Other", "--id", "key-1", "--output", "json", ...url]);
    expect(JSON.parse(again.stdout)).toEqual({ seq: s3, duplicate: true, template: "CREATE_USER" });

    const users = await runCli(["query", "MATCH (u:User) RETURN u.id AS id, u.name AS name, u.email AS email ORDER BY id", "--json", ...url]);
    expect(users.code).toBe(0);
    expect(JSON.parse(users.stdout)).toEqual([
      { id: "u1", name: "5", email: null },
      { id: "u2", name: "Bobby", email: "b@x" },
    ]);
    const counters = await runCli(["query", "MATCH (c:Counter) RETURN c.id AS id, c.value AS value", "--json", ...url]);
    expect(JSON.parse(counters.stdout)).toEqual([{ id: "c1", value: 5 }]);

    const table = await runCli(["query", "MATCH (u:User) RETURN u.id AS id, u.name AS name ORDER BY id", ...url]);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    expect(table.stdout).toBe([" id | name", "----+-------", " u1 | 5", " u2 | Bobby", "(2 rows)", ""].join("\n"));
  }, SLOW);

  test("a rejected event exits 4 and prints the server's code", async () => {
    await using gw = await startGatewayProcess();
    const missing = await runCli(["send", "CREATE_USER", "id=u1", "--url", gw.url]);
    expect(missing.code).toBe(4);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain("INVALID_PARAMS");
    expect(missing.stderr).toContain("name");
    // A value that is not of the parameter's type never leaves: the CLI says what it takes.
    const badType = await runCli(["send", "INCREMENT_COUNTER", "counterId=c", "amount=lots", "--url", gw.url]);
    expect(badType).toMatchObject({ code: 2, stdout: "" });
    expect(badType.stderr).toContain('amount: expected integer, got "lots"');
    const unknown = await runCli(["send", "NOPE", "x=1", "--url", gw.url]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain("UNKNOWN_TEMPLATE");
    expect(unknown.stderr).toContain("CREATE_USER"); // the server lists the known templates
    const health = (await (await fetch(`${gw.httpUrl}/health`)).json()) as { headSeq: number };
    expect(health.headSeq).toBe(headAfter(0)); // nothing stored after the log's genesis
  }, SLOW);

  test("usage errors exit 2 with a message, before any connection", async () => {
    const url = ["--url", `ws://127.0.0.1:${closedPort()}`];
    const cases = [
      ["send", "CREATE_USER", "idu1"],
      ["send", "CREATE_USER", "--json", "{nope"],
      ["send", "CREATE_USER", "a=1", "a=2"],
      ["watch", "--from-seq", "zero"],
      ["watch", "--count", "-1"],
      ["frobnicate"],
      ["send"],
      ["query", "MATCH (n) RETURN n", "--timeout", "soon"],
      ["status", "--url", "ftp://example.com"],
    ];
    const results = await Promise.all(cases.map((args) => runCli([...url, ...args])));
    for (const [i, r] of results.entries()) {
      expect({ args: cases[i], code: r.code }).toEqual({ args: cases[i], code: 2 });
      expect(r.stderr).toMatch(/error/i);
      expect(r.stderr).not.toContain("Usage:"); // the error and one hint, not the whole help
    }
    // Messages name the option as it was typed, or the variable when that is what was set.
    expect(results[7]!.stderr).toContain("--timeout soon: expected a whole number >= 1");
    expect(results[8]!.stderr).toContain("--url ftp://example.com must start with ws:// or wss://");
    const fromEnv = await runCli(["status"], { env: { SYNC_URL: "ftp://example.com" } });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('SYNC_URL="ftp://example.com" must start with ws:// or wss://');
    expect((await runCli([...url, "--bogus"])).stderr).toBe("error: unknown option '--bogus'\n(see sync-client --help)\n");
  }, SLOW);

  test("templates lists what the gateway accepts, required parameters marked; --json for scripts", async () => {
    await using gw = await startGatewayProcess();
    const text = await runCli(["templates", "--url", gw.url]);
    expect(text).toMatchObject({ code: 0, stderr: "" });
    expect(text.stdout).toContain("INCREMENT_COUNTER  counterId*: string, amount: integer = 1\n");
    expect(text.stdout).toContain("CREATE_USER        id*: string, name*: string, email: string\n");
    expect(text.stdout).toEndWith("* required; name = default\n");
    const json = await runCli(["templates", "--json", "--url", gw.url]);
    const list = JSON.parse(json.stdout) as { name: string; params: { name: string; types: string[]; required: boolean; default?: unknown }[] }[];
    expect(list.find((t) => t.name === "INCREMENT_COUNTER")?.params).toEqual([
      { name: "counterId", types: ["string"], required: true },
      { name: "amount", types: ["integer"], required: false, default: 1 },
    ]);
    const down = await runCli(["templates", "--url", `ws://127.0.0.1:${closedPort()}`]);
    expect(down.code).toBe(3);
  }, SLOW);

  test("an unreachable gateway exits 3 and says how to start one", async () => {
    const url = `ws://127.0.0.1:${closedPort()}`;
    const cases = [["send", "CREATE_USER", "id=u1", "name=A"], ["query", "MATCH (u:User) RETURN u"], ["status"], ["watch"]];
    const results = await Promise.all(cases.map((args) => runCli([...args, "--url", url])));
    for (const [i, r] of results.entries()) {
      expect({ args: cases[i], code: r.code }).toEqual({ args: cases[i], code: 3 });
      expect(r.stderr).toContain(`cannot reach a sync-server at ${url}`);
      expect(r.stderr).toContain("bun run server");
    }
  }, SLOW);

  test("a gateway that never acknowledges: exit 3, and the message names an --id that makes a retry safe", async () => {
    // A stand-in that completes the handshake and then ignores events (a hung log, say): what the
    // CLI does on a missing ack is what is under test here, not the gateway.
    const registry = exampleRegistry.toWire();
    const silent = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req, srv) =>
        srv.upgrade(req) ? undefined : Response.json({ status: "ok", serverId: "silent", headSeq: 0, horizonSeq: 1 }),
      websocket: {
        message: (ws, frame) => {
          const msg = JSON.parse(String(frame)) as { type: string };
          if (msg.type === "hello") {
            ws.send(JSON.stringify({ type: "welcome", serverId: "silent", headSeq: 0, horizonSeq: 1, registry, maxMessageBytes: 1 << 20 }));
            ws.send(JSON.stringify({ type: "live", seq: 0 }));
          }
        },
      },
    });
    try {
      const r = await runCli(["send", "CREATE_USER", "id=u1", "name=A", "--timeout", "500", "--url", `ws://127.0.0.1:${silent.port}`]);
      expect(r.code).toBe(3);
      const id = /rerun with --id (\S+) /.exec(r.stderr)?.[1];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.stderr).toContain("no acknowledgement from the gateway within 500 ms");
    } finally {
      silent.stop(true);
    }
  }, SLOW);

  test("a gateway that never completes the handshake: exit 3 after --timeout", async () => {
    const mute = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req, srv) => (srv.upgrade(req) ? undefined : Response.json({ status: "ok", serverId: "mute", headSeq: 0, horizonSeq: 1 })),
      websocket: { message: () => {} },
    });
    try {
      const r = await runCli(["query", "RETURN 1", "--timeout", "500", "--url", `ws://127.0.0.1:${mute.port}`]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("no connection for 500 ms");
    } finally {
      mute.stop(true);
    }
  }, SLOW);

  test("query --db keeps a persistent replica; status shows its position and lag; writes are refused", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    using dir = tempDir("cli-db-");
    const db = join(dir.path, "replica.kuzu");
    const writer = await pool.connect(gw.url);
    let head = 0;
    for (const id of ["a", "b", "c"]) head = (await writer.executeTemplate("CREATE_USER", { id, name: id.toUpperCase() })).seq;

    const before = await runCli(["status", "--db", db, "--json", "--url", gw.url]);
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({ health: { status: "ok", headSeq: head }, local: { path: db, exists: false } });

    const first = await runCli(["query", "MATCH (u:User) RETURN count(*) AS n", "--db", db, "--json", "--url", gw.url]);
    expect(JSON.parse(first.stdout)).toEqual([{ n: 3 }]);
    await writer.executeTemplate("DELETE_USER", { id: "a" });

    const lagging = await runCli(["status", "--db", db, "--json", "--url", gw.url]);
    expect(JSON.parse(lagging.stdout)).toMatchObject({ health: { headSeq: head + 1, replicaSeq: expect.any(Number) }, local: { exists: true, seq: head, lag: 1, pending: 0 } });
    const text = await runCli(["status", "--db", db, "--url", gw.url]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`head seq\\s+${head + 1}\n`));
    expect(text.stdout).toMatch(new RegExp(`local replica\\s+.*seq ${head}, lag 1\n`));

    const write = await runCli(["query", "CREATE (:User {id: 'evil', name: 'E'})", "--db", db, "--url", gw.url]);
    expect(write.code).toBe(1);
    expect(write.stderr).toContain("read-only");
    const bad = await runCli(["query", "MATCH (x:Nope) RETURN x", "--db", db, "--url", gw.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("query failed");

    const after = await runCli(["query", "MATCH (u:User) RETURN u.id AS id ORDER BY id", "--db", db, "--json", "--url", gw.url]);
    expect(JSON.parse(after.stdout)).toEqual([{ id: "b" }, { id: "c" }]);
    const synced = await runCli(["status", "--db", db, "--json", "--url", gw.url]);
    expect(JSON.parse(synced.stdout)).toMatchObject({ local: { seq: head + 1, lag: 0 } });
  }, SLOW);

  test("catching up on a long history prints plain progress lines when stderr is not a terminal", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    const acks = await Promise.all(Array.from({ length: 1_200 }, (_, i) => writer.executeTemplate("INCREMENT_COUNTER", { counterId: `c${i % 7}` })));
    const head = headAfter(1_200);
    expect(Math.max(...acks.map((a) => a.seq))).toBe(head);
    const r = await runCli(["query", "MATCH (c:Counter) RETURN sum(c.value) AS total", "--json", "--url", gw.url]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ total: 1_200 }]);
    // Progress counts the seqs a fresh replica replays: the 1,200 writes and the genesis before them.
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe(`catching up: ${head.toLocaleString("en-US")} events`);
    expect(lines.at(-1)).toMatch(new RegExp(`^catching up: done, ${head.toLocaleString("en-US")} events in \\S+ \\([\\d,]+/s\\)$`));
    expect(r.stderr).not.toContain("\r");
    const quiet = await runCli(["query", "RETURN 1 AS one", "--quiet", "--url", gw.url]);
    expect(quiet).toMatchObject({ code: 0, stderr: "" });
  }, SLOW);

  test("--help works on every command and documents the exit codes", async () => {
    const main = await runCli(["--help"]);
    expect(main.code).toBe(0);
    expect(main.stdout).toContain("Exit codes:");
    expect(main.stdout).toContain("SYNC_URL");
    const commands = ["repl", "send", "watch", "query", "status", "templates"];
    const results = await Promise.all(commands.map((command) => runCli([command, "--help"])));
    for (const [i, r] of results.entries()) {
      expect({ command: commands[i], code: r.code }).toEqual({ command: commands[i], code: 0 });
      expect(r.stdout).toContain(`Usage: sync-client ${commands[i]}`);
    }
  }, SLOW);

  test("bunx sync-client works from the repository root", async () => {
    const r = await runCommand(["bunx", "sync-client", "--version"], { cwd: REPO_ROOT });
    expect(r).toMatchObject({ code: 0, stdout: "0.1.0\n" });
  }, SLOW);
});
