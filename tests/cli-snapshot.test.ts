import { describe, expect, test } from "bun:test";
import { ClientPool } from "./support/clients.ts";
import { runCli } from "./support/cli-process.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";

describe("sync-client shows snapshot bootstrap progress", () => {
  test("a fresh replica offered a snapshot reports the download and import, then answers from it", async () => {
    // Offer a snapshot to any client that would replay 10 events or more.
    await using gw = await startGatewayProcess({ args: ["--snapshot-bootstrap-min", "10", "--snapshot-every", "10"] });
    await using pool = new ClientPool();
    const writer = await pool.connect(gw.url);
    let last = 0;
    for (let i = 0; i < 40; i++) last = (await writer.executeTemplate("INCREMENT_COUNTER", { counterId: "snap" })).seq;
    await writer.waitForSeq(last);
    const r = await runCli(["query", "MATCH (c:Counter {id: 'snap'}) RETURN c.value AS v", "--json", "--url", gw.url]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ v: 40 }]);
    // Not a TTY: plain lines, no bar redraws.
    expect(r.stderr).toMatch(/importing snapshot at seq \d+/);
    expect(r.stderr).not.toContain("\r");
  });
});
