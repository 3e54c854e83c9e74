/**
 * The code a newcomer copies first runs as written: the README's 15-line application and the
 * GUIDE's own-registry example, against a real gateway.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, runCli, runCommand } from "./support/cli-process.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import { FIRST_CLIENT_SEQ, REGISTRY_EVENT } from "./support/log-start.ts";

const SLOW = 60_000;

/** The fenced block of `lang` that follows `heading` in a Markdown file. */
function codeAfter(file: string, heading: string, lang: string): string {
  const text = readFileSync(join(REPO_ROOT, file), "utf8");
  const at = text.indexOf(heading);
  expect({ file, heading, found: at >= 0 }).toEqual({ file, heading, found: true });
  const block = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(text.slice(at));
  return block![1]!;
}

/** A scratch directory inside the repository, so the example's imports resolve as in a checkout. */
function scratch(): { path: string } & Disposable {
  const path = mkdtempSync(join(REPO_ROOT, ".docs-example-"));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

describe("examples in the docs", () => {
  test("README: the 15-line application runs against a gateway", async () => {
    await using gw = await startGatewayProcess();
    using dir = scratch();
    const code = codeAfter("README.md", "## An application in 15 lines", "ts");
    expect(code.trim().split("\n").length).toBeLessThanOrEqual(15);
    const file = join(dir.path, "app.ts");
    writeFileSync(file, code.replace("ws://localhost:8080", gw.url).replace("./replica.kuzu", join(dir.path, "replica.kuzu")));
    const r = await runCommand(["bun", file]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // The first write of the new log; its registry event (seq 1) is not an `event` and not printed.
    expect(r.stdout).toContain(`#${FIRST_CLIENT_SEQ} CREATE_USER`);
    expect(r.stdout).not.toContain(REGISTRY_EVENT.template);
    expect(r.stdout).toMatch(/id: "u1",\s+name: "Alice"/);
  }, SLOW);

  test("GUIDE: the own-registry example is a registry the gateway serves", async () => {
    using dir = scratch();
    writeFileSync(join(dir.path, "my-registry.ts"), codeAfter("docs/GUIDE.md", "### Your own registry", "ts"));
    await using gw = await startGatewayProcess({ args: ["--templates", join(dir.path, "my-registry.ts")] });
    expect(await runCli(["send", "ADD_TASK", "id=t1", "title=Write docs", "--url", gw.url])).toMatchObject({ code: 0, stdout: `${FIRST_CLIENT_SEQ}\n` });
    expect(await runCli(["send", "COMPLETE_TASK", "id=t1", "--url", gw.url])).toMatchObject({ code: 0, stdout: `${FIRST_CLIENT_SEQ + 1}\n` });
    const rows = await runCli(["query", "MATCH (t:Task) RETURN t.id AS id, t.title AS title, t.done AS done", "--json", "--url", gw.url]);
    expect(JSON.parse(rows.stdout)).toEqual([{ id: "t1", title: "Write docs", done: true }]);
  }, SLOW);
});
