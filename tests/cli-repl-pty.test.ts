import { expect, test } from "bun:test";
import { ClientPool } from "./support/clients.ts";
import { CLI } from "./support/cli-process.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import { TmuxSession } from "./support/tmux.ts";

const SLOW = 60_000;

/** The screen's last non-empty line (where the prompt is). */
const lastLine = (screen: string) => screen.trimEnd().split("\n").at(-1) ?? "";

test("in a terminal: Tab completes, a live event prints above a half-typed line, Ctrl-D leaves with 0", async () => {
  await using gw = await startGatewayProcess();
  await using pool = new ClientPool();
  await using term = await TmuxSession.start(["bun", CLI, "--url", gw.url]);
  await term.waitFor((s) => lastLine(s) === "sync>");
  const banner = await term.screen();
  expect(banner).toContain(`sync-client connected to ${gw.url}`);

  // Each key press waits for the echo first: readline treats keys arriving in one chunk as a
  // paste, and a pasted Tab is inserted instead of completing.
  await term.type("CREATE_U");
  await term.waitFor((s) => lastLine(s) === "sync> CREATE_U");
  await term.press("Tab");
  await term.waitFor((s) => lastLine(s) === "sync> CREATE_USER");
  await term.type("id=u1 na"); // the completion ended with a space
  await term.waitFor((s) => lastLine(s) === "sync> CREATE_USER id=u1 na");
  await term.press("Tab");
  await term.waitFor((s) => lastLine(s) === "sync> CREATE_USER id=u1 name=");

  const other = await pool.connect(gw.url);
  const { seq: posted } = await other.executeTemplate("CREATE_POST", { id: "p1", authorId: "x", content: "hello from elsewhere" });
  const screen = await term.waitFor(new RegExp(`← #${posted} CREATE_POST`));
  const lines = screen.trimEnd().split("\n");
  expect(lines.at(-2)).toMatch(new RegExp(`^← #${posted} CREATE_POST id=p1 authorId=x content="hello from elsewhere" {2}· client-`));
  expect(lines.at(-1)).toBe("sync> CREATE_USER id=u1 name="); // the typed line survived, intact

  await term.type("Alice");
  await term.press("Enter");
  await term.waitFor(new RegExp(`✓ CREATE_USER seq ${posted + 1}`));
  await term.type("cre");
  await term.waitFor((s) => lastLine(s) === "sync> cre");
  await term.press("Tab");
  await term.waitFor((s) => lastLine(s) === "sync> CREATE_"); // the common prefix of CREATE_USER and CREATE_POST
  await term.press("C-u");
  await term.waitFor((s) => lastLine(s) === "sync>");
  await term.type("query MATCH (u:User) RETURN u.name AS name");
  await term.waitFor((s) => lastLine(s).endsWith("AS name"));
  await term.press("Enter");
  await term.waitFor(/ name\n-+\n Alice\n\(1 row\)/);
  await term.waitFor((s) => lastLine(s) === "sync>");
  await term.press("C-d");
  await term.waitFor(/\[exit 0\]/);
}, SLOW);

test("in a terminal: colours unless NO_COLOR is set", async () => {
  await using gw = await startGatewayProcess();
  for (const [env, coloured] of [[{}, true], [{ NO_COLOR: "1" }, false]] as const) {
    await using term = await TmuxSession.start(["bun", CLI, "--url", gw.url], { env });
    await term.waitFor((s) => lastLine(s) === "sync>");
    const raw = await term.screenWithEscapes();
    expect({ env, coloured: raw.includes("\x1b[") }).toEqual({ env, coloured });
    await term.type("exit");
    await term.waitFor((s) => lastLine(s) === "sync> exit");
    await term.press("Enter");
    await term.waitFor(/\[exit 0\]/);
  }
}, SLOW);
