import { describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { ClientPool } from "./support/clients.ts";
import { runCli, spawnCli } from "./support/cli-process.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { getJson } from "./support/jetstream.ts";
import { FIRST_CLIENT_SEQ, GENESIS_SEQ } from "./support/log-start.ts";

const SLOW = 60_000;
const tracker = (name: string): string => join(resolve(import.meta.dir, "support/registries"), `tracker-${name}.ts`);

describe("sync-client repl with piped input", () => {
  test("runs every line in order; bad lines print an error and the REPL goes on; exit 1 at EOF after a failure", async () => {
    await using gw = await startGatewayProcess();
    const script = [
      "templates",
      "CREATE_USER id=u1 name=\"Alice Smith\"",
      'CREATE_USER {"id":"u2","name":"Bob"}',
      "bogus command",
      "create_user id=u3 name=C",
      "CREATE_USER id=u3",
      'CREATE_USER id=u3 name="unterminated',
      "INCREMENT_COUNTER counterId=c1 amount=5",
      "history 0",
      "query MATCH (u:User) RETURN u.id AS id, u.name AS name ORDER BY id",
      "query MATCH (c:Counter) RETURN c.value AS v",
      "query CREATE (:User {id: 'x', name: 'x'})",
      "history 2",
      "stats",
      "",
    ].join("\n");
    const r = await runCli(["--url", gw.url], { stdin: script });
    expect(r.code).toBe(1);
    const out = r.stdout;
    // In order: the template list, two seqs, the third seq, the tables, history, statistics.
    // The writes are the new log's first (after its genesis registry event), which is not in history or stats.
    const [s1, s2, s3] = [FIRST_CLIENT_SEQ, FIRST_CLIENT_SEQ + 1, FIRST_CLIENT_SEQ + 2];
    const at = (text: string) => {
      const i = out.indexOf(text);
      expect({ missing: i < 0 ? text : null }).toEqual({ missing: null });
      return i;
    };
    const positions = [
      at("INCREMENT_COUNTER  counterId*: string, amount: integer = 1"),
      at(`✓ CREATE_USER seq ${s1}`),
      at(`✓ CREATE_USER seq ${s2}`),
      at(`✓ INCREMENT_COUNTER seq ${s3}`),
      at(" u1 | Alice Smith\n u2 | Bob\n(2 rows)"),
      at(" v\n---\n 5\n(1 row)"),
      at(`#${s2} CREATE_USER id=u2 name=Bob  · `),
      at(`#${s3} INCREMENT_COUNTER counterId=c1 amount:=5  · `),
      at("=== DML Statistics Report ===\nOverall: sent: 4, received: 3, applied: 3, failed: 1"),
      at("Template: CREATE_USER - sent: 3, received: 2, applied: 2, success rate: 66.7%"),
    ];
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(r.stderr).toContain('error: unknown command "bogus"');
    expect(r.stderr).toContain("template names are upper case: CREATE_USER");
    expect(r.stderr).toContain("rejected: INVALID_PARAMS");
    expect(r.stderr).toContain("unterminated \" quote");
    expect(r.stderr).toContain("history takes a count >= 1");
    expect(r.stderr).toContain("read-only");
  }, SLOW);

  test("clean input exits 0; `exit` ends the session before later lines", async () => {
    await using gw = await startGatewayProcess();
    const r = await runCli(["--url", gw.url, "repl"], { stdin: "CREATE_USER id=u1 name=A\nexit\nCREATE_USER id=u2 name=B\n" });
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toBe(`✓ CREATE_USER seq ${FIRST_CLIENT_SEQ}\n`);
    const health = (await (await fetch(`${gw.httpUrl}/health`)).json()) as { headSeq: number };
    expect(health.headSeq).toBe(FIRST_CLIENT_SEQ);
  }, SLOW);

  test("events from other clients are printed as they arrive", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    await using repl = spawnCli(["--url", gw.url]);
    // A new log: the replica has applied its genesis registry event.
    await repl.waitForStderr(new RegExp(`^connected to .*replica at seq ${GENESIS_SEQ}$`));
    const other = await pool.connect(gw.url);
    const { seq } = await other.executeTemplate("CREATE_USER", { id: "o1", name: "From Elsewhere" });
    const line = await repl.waitForStdout(/CREATE_USER id=o1/);
    expect(line).toBe(`← #${seq} CREATE_USER id=o1 name="From Elsewhere"  · ${other.clientId.slice(0, "client-".length + 8)} ${line.slice(-12)}`);
    repl.write("query MATCH (u:User) RETURN u.name AS name\n");
    await repl.waitForStdout(/From Elsewhere/);
    repl.endInput();
    expect(await repl.exited).toBe(0);
  }, SLOW);

  test("a lost gateway prints one disconnected and one reconnected line; an event queued meanwhile is acknowledged late", async () => {
    using dir = tempDir("cli-repl-restart-");
    const first = await startGatewayProcess({ dataDir: dir.path });
    try {
      await using repl = spawnCli(["--url", first.url, "--timeout", "1000"]);
      await repl.waitForStderr(new RegExp(`^connected to .*replica at seq ${GENESIS_SEQ}$`));
      await first.stop();
      await repl.waitForStderr(/disconnected \(1001 server shutting down\); reconnecting/);
      repl.write("CREATE_USER id=late name=L\n");
      // The 1 s wait for the ack ends while the client keeps retrying (several attempts by then).
      await repl.waitForStderr(/no acknowledgement from the gateway within 1000 ms; the event stays queued/);
      await using second = await startGatewayProcess({ dataDir: dir.path, port: first.port });
      await repl.waitForStdout(new RegExp(`^✓ CREATE_USER seq ${FIRST_CLIENT_SEQ} \\(acknowledged late\\)$`));
      await repl.waitForStderr(/reconnected; server head at seq/);
      repl.write("help\n");
      await repl.waitForStdout(/exit, quit +leave/);
      repl.write("quit\n");
      expect(await repl.exited).toBe(1); // the timed-out line counts as a failed line
      expect(repl.stderrLines.filter((l) => /disconnected/.test(l))).toHaveLength(1);
      expect(repl.stderrLines.filter((l) => /reconnected/.test(l))).toHaveLength(1);
      const health = (await (await fetch(`${second.httpUrl}/health`)).json()) as { headSeq: number };
      expect(health.headSeq).toBe(FIRST_CLIENT_SEQ);
    } finally {
      await first.stop();
    }
  }, SLOW);

  test("a registry version change while connected is one line, not an event: not in history, not in stats", async () => {
    using dir = tempDir("cli-repl-registry-");
    await using first = await startGatewayProcess({ dataDir: dir.path, args: ["--templates", tracker("v1")] });
    await using repl = spawnCli(["--url", first.url]);
    await repl.waitForStderr(new RegExp(`^connected to .*replica at seq ${GENESIS_SEQ}$`));
    await first.stop();
    await repl.waitForStderr(/disconnected/);
    // The same log, started with version 2: the replica moves to it when it catches up.
    await using second = await startGatewayProcess({ dataDir: dir.path, port: first.port, args: ["--templates", tracker("v2")] });
    const { history } = await getJson<{ history: { version: number; seq: number; hash: string }[] }>(second.httpUrl, "/registry");
    const upgrade = history.find((h) => h.version === 2)!;
    const line = await repl.waitForStdout(/^registry version/);
    expect(line).toBe(`registry version 2 (${upgrade.hash.slice(0, 12)}…) at seq ${upgrade.seq}`);
    repl.write("history\nstats\n");
    await repl.waitForStdout(/^Overall: /);
    repl.endInput();
    expect(await repl.exited).toBe(0);
    expect(repl.stdoutLines).toContain("(no events yet)");
    expect(repl.stdoutLines).toContain("Overall: sent: 0, received: 0, applied: 0, failed: 0");
    expect(repl.stdoutLines.filter((l) => l.startsWith("registry version"))).toHaveLength(1); // the genesis was before the prompt
  }, SLOW);
});
