import { describe, expect, test } from "bun:test";
import { ClientPool } from "./support/clients.ts";
import { runCli, spawnCli } from "./support/cli-process.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";

const SLOW = 60_000;

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
    const at = (text: string) => {
      const i = out.indexOf(text);
      expect({ missing: i < 0 ? text : null }).toEqual({ missing: null });
      return i;
    };
    const positions = [
      at("INCREMENT_COUNTER  counterId*: string, amount: integer = 1"),
      at("✓ CREATE_USER seq 1"),
      at("✓ CREATE_USER seq 2"),
      at("✓ INCREMENT_COUNTER seq 3"),
      at(" u1 | Alice Smith\n u2 | Bob\n(2 rows)"),
      at(" v\n---\n 5\n(1 row)"),
      at('#2 CREATE_USER id=u2 name=Bob  · '),
      at("#3 INCREMENT_COUNTER counterId=c1 amount:=5  · "),
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
    expect(r.stdout).toBe("✓ CREATE_USER seq 1\n");
    const health = (await (await fetch(`${gw.httpUrl}/health`)).json()) as { headSeq: number };
    expect(health.headSeq).toBe(1);
  }, SLOW);

  test("events from other clients are printed as they arrive", async () => {
    await using gw = await startGatewayProcess();
    await using pool = new ClientPool();
    await using repl = spawnCli(["--url", gw.url]);
    await repl.waitForStderr(/^connected to .*replica at seq 0/);
    const other = await pool.connect(gw.url);
    await other.executeTemplate("CREATE_USER", { id: "o1", name: "From Elsewhere" });
    const line = await repl.waitForStdout(/CREATE_USER id=o1/);
    expect(line).toBe(`← #1 CREATE_USER id=o1 name="From Elsewhere"  · ${other.clientId.slice(0, "client-".length + 8)} ${line.slice(-12)}`);
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
      await repl.waitForStderr(/^connected to .*replica at seq 0/);
      await first.stop();
      await repl.waitForStderr(/disconnected \(1001 server shutting down\); reconnecting/);
      repl.write("CREATE_USER id=late name=L\n");
      // The 1 s wait for the ack ends while the client keeps retrying (several attempts by then).
      await repl.waitForStderr(/no acknowledgement from the gateway within 1000 ms; the event stays queued/);
      await using second = await startGatewayProcess({ dataDir: dir.path, port: first.port });
      await repl.waitForStdout(/^✓ CREATE_USER seq 1 \(acknowledged late\)$/);
      await repl.waitForStderr(/reconnected; server head at seq/);
      repl.write("help\n");
      await repl.waitForStdout(/exit, quit +leave/);
      repl.write("quit\n");
      expect(await repl.exited).toBe(1); // the timed-out line counts as a failed line
      expect(repl.stderrLines.filter((l) => /disconnected/.test(l))).toHaveLength(1);
      expect(repl.stderrLines.filter((l) => /reconnected/.test(l))).toHaveLength(1);
      const health = (await (await fetch(`${second.httpUrl}/health`)).json()) as { headSeq: number };
      expect(health.headSeq).toBe(1);
    } finally {
      await first.stop();
    }
  }, SLOW);
});
