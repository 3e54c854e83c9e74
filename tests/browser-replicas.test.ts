/**
 * Browser replicas in a real Chromium: the example page (examples/web, bundled with `bun build`
 * for the browser, so `@kuzu-sync/client` runs on kuzu-wasm in a Web Worker) in two pages, and a
 * Bun client on the native engine, all against one real gateway. Pages write through the page's
 * form, the Bun client through every kind of template (batched runs, nulls, INT64 counters,
 * relationships, deletes); all three replicas end with the same graph. Then the gateway restarts
 * on its data dir and port: the pages go offline, reconnect, send what was queued meanwhile, catch
 * up, and the three replicas agree again.
 */
import { describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { serveExample } from "../examples/web/serve.ts";
import { buildExample } from "../examples/web/build.ts";
import { launchChromium } from "./support/chromium.ts";
import { ClientPool, graphState, writeHistory } from "./support/clients.ts";
import { startGatewayProcess, tempDir } from "./support/gateway-process.ts";
import { Resources } from "./support/resources.ts";
import { tokenKit } from "./support/tokens.ts";

/** The page's replica, as `graphState` reads one. */
function pageReplica(page: Page): { query(cypher: string): Promise<Record<string, unknown>[]> } {
  return {
    query: (cypher) => page.evaluate((c) => (globalThis as unknown as { kuzuSyncExample: { query(c: string): Promise<Record<string, unknown>[]> } }).kuzuSyncExample.query(c), cypher),
  };
}

/** Resolves once the page's replica has applied `seq`. */
async function pageAt(page: Page, seq: number): Promise<void> {
  await page.waitForFunction((s) => (globalThis as unknown as { kuzuSyncExample: { client: { lastAppliedSeq: number } } }).kuzuSyncExample.client.lastAppliedSeq >= s, seq, { timeout: 30_000 });
}

/** Create a user through the page's form, as a person would. */
async function submitUser(page: Page, id: string, name: string): Promise<void> {
  await page.fill('#create-user input[name="id"]', id);
  await page.fill('#create-user input[name="name"]', name);
  await page.click('#create-user button[type="submit"]');
}

describe("browser replicas (kuzu-wasm in Chromium)", () => {
  test("the browser bundle pulls in neither bun:sqlite nor node:fs, and has kuzu-wasm's worker beside it", async () => {
    using out = tempDir("kuzu-sync-web-build-");
    const build = await buildExample(out.path);
    const hostOnly = build.resolved.filter((p) => /^(bun:|node:|fs$|os$|path$|child_process$|worker_threads$)/.test(p) || p === "kuzu");
    expect(hostOnly).toEqual([]);
    expect(build.resolved).toContain("kuzu-wasm");
    const bundle = await Bun.file(`${out.path}/app.js`).text();
    expect(bundle).not.toContain("bun:sqlite");
    expect(await Bun.file(`${out.path}/kuzu_wasm_worker.js`).exists()).toBe(true);
  });

  test("two pages and a Bun client write and converge; a gateway restart is survived", async () => {
    using data = tempDir("kuzu-sync-browser-gw-");
    await using started = new Resources();
    let gw = started.use(await startGatewayProcess({ dataDir: data.path }));
    const web = started.use(await serveExample({ port: 0, hostname: "127.0.0.1" }));
    const chrome = started.use(await launchChromium());
    const pool = started.use(new ClientPool());

    const pageUrl = `${web.url}?gateway=${encodeURIComponent(gw.url)}`;
    const [a, b] = await Promise.all([chrome.open(pageUrl), chrome.open(pageUrl)]);
    await Promise.all([a!, b!].map((p) => p.waitForSelector('#status[data-state="live"]', { timeout: 30_000 })));
    const bun = await pool.connect(gw.url);

    // Everyone writes at once: pages through their form, the Bun client a mixed history.
    await submitUser(a!, "page-a-1", "Ada");
    await submitUser(b!, "page-b-1", "Bea");
    const head = await writeHistory(bun, 60, "bun");
    await submitUser(a!, "page-a-2", "Ann");
    await a!.waitForSelector('#users tr[data-id="page-a-2"]', { timeout: 30_000 });
    await b!.waitForSelector('#users tr[data-id="page-a-2"]', { timeout: 30_000 });
    await bun.waitForSeq(head);
    const last = Math.max(head, bun.lastAppliedSeq);
    await Promise.all([pageAt(a!, last), pageAt(b!, last), bun.waitForSeq(last)]);
    const expected = await graphState(bun);
    expect(expected).toMatchObject({ users: expect.arrayContaining([{ id: "page-a-1", name: "Ada", email: null }, { id: "page-b-1", name: "Bea", email: null }]) });
    expect(await graphState(pageReplica(a!))).toEqual(expected);
    expect(await graphState(pageReplica(b!))).toEqual(expected);
    // The list a person sees is the replica's.
    const listed = await b!.$$eval("#users tr", (rows) => rows.map((r) => r.getAttribute("data-id")));
    expect(listed).toEqual((await bun.query("MATCH (u:User) RETURN u.id AS id ORDER BY id")).map((r) => r["id"]));

    // The gateway restarts (SIGTERM, same data dir and port). A page writes while it is down.
    await gw.stop();
    await Promise.all([a!, b!].map((p) => p.waitForSelector('#status[data-state="offline"]', { timeout: 30_000 })));
    await submitUser(b!, "page-b-offline", "Bo");
    gw = started.use(await startGatewayProcess({ dataDir: data.path, port: gw.port }));
    await Promise.all([a!, b!].map((p) => p.waitForSelector('#status[data-state="live"]', { timeout: 30_000 })));
    const after = await writeHistory(bun, 30, "after");
    await submitUser(a!, "page-a-3", "Abe");
    for (const page of [a!, b!]) for (const id of ["page-b-offline", "page-a-3"]) await page.waitForSelector(`#users tr[data-id="${id}"]`, { timeout: 30_000 });
    const final = Math.max(after, await bun.executeTemplate("INCREMENT_COUNTER", { counterId: "done", amount: 1 }).then((r) => r.seq));
    await Promise.all([pageAt(a!, final), pageAt(b!, final), bun.waitForSeq(final)]);
    const converged = await graphState(bun);
    expect(converged).toMatchObject({ users: expect.arrayContaining([{ id: "page-b-offline", name: "Bo", email: null }, { id: "page-a-3", name: "Abe", email: null }]) });
    expect(await graphState(pageReplica(a!))).toEqual(converged);
    expect(await graphState(pageReplica(b!))).toEqual(converged);

    // Each page ran its own Kuzu: kuzu-wasm's worker script was loaded once per page.
    expect(chrome.requested.filter((u) => u.endsWith("/kuzu_wasm_worker.js")).length).toBe(2);
    expect(chrome.errors).toEqual([]);
  }, 120_000);

  test("with authentication on, a page connects with its token (sent as ?token=, never logged) and writes", async () => {
    using dir = tempDir("kuzu-sync-browser-auth-");
    await using kit = await tokenKit(dir.path);
    await using started = new Resources();
    const gw = started.use(await startGatewayProcess({ env: kit.env }));
    const web = started.use(await serveExample({ port: 0, hostname: "127.0.0.1" }));
    const chrome = started.use(await launchChromium());
    const pool = started.use(new ClientPool());
    const token = await kit.mint({ sub: "web-1" });
    const page = await chrome.open(`${web.url}?gateway=${encodeURIComponent(gw.url)}&clientId=web-1#token=${token}`);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 30_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe("");
    await submitUser(page, "from-the-page", "Pat");
    const bun = await pool.connect(gw.url, { clientId: "bun-1", token: await kit.mint({ sub: "bun-1" }) });
    const seq = Math.max(bun.lastAppliedSeq, (await bun.executeTemplate("CREATE_USER", { id: "from-bun", name: "Bo" })).seq);
    await Promise.all([pageAt(page, seq), bun.waitForSeq(seq)]);
    expect(await graphState(pageReplica(page))).toEqual(await graphState(bun));
    expect(await bun.query("MATCH (u:User {id: 'from-the-page'}) RETURN u.name AS name")).toEqual([{ name: "Pat" }]);
    // The upgrade carried it in its query string; the gateway logged the connection, not the token.
    expect(gw.output.some((line) => line.includes('"clientId":"web-1"'))).toBe(true);
    expect(gw.output.filter((line) => line.includes(token))).toEqual([]);
    expect(chrome.errors).toEqual([]);
  }, 60_000);
});
