/**
 * The operator dashboard (`GET /dashboard`) in a real Chromium, on a gateway with authentication
 * on: the page's files load without a token, its one stream needs one (login field, or `#token=`
 * in the fragment, which leaves the address bar at once and never reaches a URL or a log line);
 * the numbers move while a writer writes, and once it stops they are exactly what /health, /stats
 * and /aggregates say, connected clients' applied seqs (their `applied` reports) included.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { GENESIS_SEQ } from "./support/log-start.ts";
import { launchChromium } from "./support/chromium.ts";
import { ClientPool, writeHistory } from "./support/clients.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { waitForReplica } from "./support/health.ts";
import { Resources } from "./support/resources.ts";
import { tokenKit } from "./support/tokens.ts";

/**
 * What the callbacks below touch in the page (they run there, serialized; this program has no DOM
 * types): elements with a dataset, table rows with cells.
 */
interface PageElement {
  readonly dataset: Record<string, string | undefined>;
  readonly cells: readonly PageElement[];
}
interface PageWindow {
  readonly document: { querySelector(selector: string): PageElement | null };
  readonly location: { readonly href: string };
}

/** The raw value a dashboard field shows (its data-value). */
async function field(page: Page, name: string): Promise<unknown> {
  const raw = await page.$eval(`[data-field="${name}"]`, (el) => (el as unknown as PageElement).dataset["value"] ?? "");
  return raw === "" ? undefined : (JSON.parse(raw) as unknown);
}

/** Resolves once the page shows a head seq above `than`; returns it. */
async function headAbove(page: Page, than: number): Promise<number> {
  const handle = await page.waitForFunction(
    (v) => {
      const { document } = globalThis as unknown as PageWindow;
      const shown = Number(document.querySelector('[data-field="health.headSeq"]')?.dataset["value"] ?? "0");
      return shown > v ? shown : false;
    },
    than,
    { timeout: 15_000 },
  );
  return (await handle.jsonValue()) as number;
}

/** The rows of a dashboard table, as data-values (numbers as numbers). */
function tableRows(page: Page, tbody: string): Promise<unknown[][]> {
  return page.$$eval(`#${tbody} tr`, (rows) => rows.map((r) => [...(r as unknown as PageElement).cells].map((c) => JSON.parse(c.dataset["value"] || "null") as unknown)));
}

describe("GET /dashboard", () => {
  test("with auth on: token from the login field or the fragment; the numbers move, then match /health, /stats and /aggregates", async () => {
    using dir = tempDir("kuzu-sync-dashboard-");
    await using kit = await tokenKit(dir.path);
    await using started = new Resources();
    const gw = started.use(await startGatewayProcess({ env: kit.env }));
    const pool = started.use(new ClientPool());
    const chrome = started.use(await launchChromium());
    const operator = await kit.mint({ sub: "operator" });
    const authorized = { headers: { authorization: `Bearer ${operator}` } };

    // The page's files hold no data and need no token; its stream does, like every other route.
    const html = await fetch(`${gw.httpUrl}/dashboard`);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toContain("text/html");
    expect(html.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(html.headers.get("referrer-policy")).toBe("no-referrer");
    await html.text();
    const refused = await fetch(`${gw.httpUrl}/dashboard/stream`);
    expect(refused.status).toBe(401);
    await refused.text();

    // No token: the page asks for one.
    const asking = await chrome.open(`${gw.httpUrl}/dashboard`);
    await asking.waitForSelector("#login:not([hidden])", { timeout: 15_000 });
    expect(await asking.$eval("#state", (el) => (el as unknown as PageElement).dataset["state"])).toBe("unauthorized");
    await asking.fill("#token", operator);
    await asking.click('#login button[type="submit"]');
    await asking.waitForSelector('#state[data-state="live"]', { timeout: 15_000 });

    // The token in the fragment: live at once, and the address bar no longer shows it.
    const page = await chrome.open(`${gw.httpUrl}/dashboard#token=${operator}`);
    await page.waitForSelector('#state[data-state="live"]', { timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as unknown as PageWindow).location.href)).toBe(`${gw.httpUrl}/dashboard`);

    // A writer writes while a reader follows: the numbers move, frame after frame.
    const writer = await pool.connect(gw.url, { clientId: "writer", token: await kit.mint({ sub: "writer" }) });
    await pool.connect(gw.url, { clientId: "reader", token: await kit.mint({ sub: "reader" }) });
    let writing = true;
    let last = 0;
    const writes = (async () => {
      for (let round = 0; writing; round++) last = Math.max(last, await writeHistory(writer, 25, `round-${round}`));
    })();
    try {
      const first = await headAbove(page, Number(await field(page, "health.headSeq")));
      await headAbove(page, first);
      expect(Number(await page.$eval("#chart-peak", (el) => (el as unknown as PageElement).dataset["value"]))).toBeGreaterThan(0);
    } finally {
      writing = false;
      await writes;
    }

    // Quiet again: once the page shows the final head, the replica there and both clients' reports
    // of it, every number it shows is what the endpoints say.
    await waitForReplica(gw, last);
    await page.waitForFunction(
      (head) => {
        const { document } = globalThis as unknown as PageWindow;
        const value = (sel: string) => Number(document.querySelector(sel)?.dataset["value"] ?? "NaN");
        return (
          value('[data-field="health.headSeq"]') === head &&
          value('[data-field="health.replicaSeq"]') === head &&
          ["writer", "reader"].every((id) => value(`#clients tr[data-client-id="${id}"] td[data-column="appliedSeq"]`) === head)
        );
      },
      last,
      { timeout: 15_000 },
    );
    const health = (await (await fetch(`${gw.httpUrl}/health`)).json()) as Record<string, unknown>;
    const stats = (await (await fetch(`${gw.httpUrl}/stats`, authorized)).json()) as {
      connectedClients: number;
      liveClients: number;
      appendLatencyMsAvg: number;
      slowConsumersDisconnected: number;
      events: { total: number; byTemplate: Record<string, number> };
      dml: { byTemplate: Record<string, { accepted: number; applied: number; failed: number }> };
      clients: { clientId: string; sockets: number; appliedSeq: number; lag: number; deliveredSeq: number; helloSeq: number }[];
    };
    for (const name of ["serverId", "headSeq", "horizonSeq", "replicaSeq", "log", "snapshotSeq"]) expect(await field(page, `health.${name}`)).toEqual(health[name]);
    expect(await field(page, "replicaLag")).toBe(0);
    expect(await field(page, "stats.connectedClients")).toBe(stats.connectedClients);
    expect(await field(page, "stats.liveClients")).toBe(stats.liveClients);
    expect(await field(page, "stats.events.total")).toBe(stats.events.total);
    expect(await field(page, "stats.appendLatencyMsAvg")).toBe(stats.appendLatencyMsAvg);
    expect(await field(page, "stats.slowConsumersDisconnected")).toBe(stats.slowConsumersDisconnected);
    // Every seq but the genesis registry event, which is not counted as an event (log-start.ts).
    expect(stats.events.total).toBe(last - GENESIS_SEQ);

    expect(await tableRows(page, "templates")).toEqual(
      Object.keys(stats.events.byTemplate)
        .sort()
        .map((t) => [t, stats.events.byTemplate[t], stats.dml.byTemplate[t]!.accepted, stats.dml.byTemplate[t]!.applied, stats.dml.byTemplate[t]!.failed]),
    );
    const clientRows = (await tableRows(page, "clients")).map((r) => r.slice(0, 6));
    expect(clientRows).toEqual(stats.clients.map((c) => [c.clientId, c.sockets, c.appliedSeq, c.lag, c.deliveredSeq, c.helloSeq]));
    expect(stats.clients.map((c) => [c.clientId, c.appliedSeq, c.lag]).sort()).toEqual([
      ["reader", last, 0],
      ["writer", last, 0],
    ]);
    const aggregates = (await (await fetch(`${gw.httpUrl}/aggregates`, authorized)).json()) as { aggregates: { name: string; groups: number }[] };
    expect((await tableRows(page, "aggregates")).map((r) => [r[0], r[1]])).toEqual(aggregates.aggregates.map((a) => [a.name, a.groups]));
    const counters = (await (await fetch(`${gw.httpUrl}/aggregates/counters`, authorized)).json()) as { values: Record<string, number> };
    expect((await tableRows(page, "aggregates")).find((r) => r[0] === "counters")?.[2]).toBe(Object.values(counters.values).reduce((a, b) => a + b, 0));
    expect(await page.isVisible("#nats-off")).toBe(true); // embedded log, no NATS_URL

    const shot = join(dir.path, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect([...new Uint8Array(await Bun.file(shot).slice(0, 8).arrayBuffer())]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    // The token went only in a header: no request URL and no log line holds it.
    expect(chrome.requested.filter((u) => u.includes(operator))).toEqual([]);
    expect(gw.output.filter((line) => line.includes(operator))).toEqual([]);
    expect(chrome.errors).toEqual([]);
  }, 90_000);
});
