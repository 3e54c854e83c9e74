/**
 * Live queries and optimistic writes: two processes share a task list. Each keeps a live query on
 * it (printed whenever its rows change) and writes optimistically: its own writes show at once,
 * before the gateway has even answered (marked `*` while pending). One write is refused by the
 * server (a status the registry does not allow): it shows for a moment in the writer's list, then
 * leaves it, and the writer hears `rejected` with the server's code.
 *
 *   bun run server -- --templates examples/live_tasks_registry.ts    # in another terminal
 *   bun run examples/live_tasks.ts
 *
 * Environment: SYNC_URL (default ws://localhost:8080). Exit codes: 0 done, 1 failed, 2 the gateway
 * runs another registry, 3 no gateway reachable.
 * @module
 */
import { createSyncClient, type SyncClient } from "@kuzu-sync/client";

const url = process.env["SYNC_URL"] ?? "ws://localhost:8080";
const [role, run] = [process.argv[2], process.argv[3]];

if (role === "alice" || role === "bob") process.exitCode = await worker(role, run ?? "run");
else process.exitCode = await main();

/** Start both processes and print what they print, each line tagged with its name. */
async function main(): Promise<number> {
  const templates = await gatewayTemplates(url);
  if (templates === null) {
    console.error(`No sync-server is reachable at ${url}. Start one with "bun run server -- --templates examples/live_tasks_registry.ts" (or set SYNC_URL).`);
    return 3;
  }
  if (!templates.includes("ADD_TASK") || !templates.includes("SET_STATUS")) {
    console.error(`The sync-server at ${url} runs another registry. Start one with "bun run server -- --templates examples/live_tasks_registry.ts".`);
    return 2;
  }
  const run = Date.now().toString(36); // task ids unique to this run: reruns do not collide
  const children = ["alice", "bob"].map((name) => {
    const child = Bun.spawn(["bun", import.meta.path, name, run], { env: { ...process.env, SYNC_URL: url }, stdout: "pipe", stderr: "inherit" });
    return { name, child, printed: printLines(name, child.stdout) };
  });
  const codes = await Promise.all(children.map(async ({ child, printed }) => (await printed, await child.exited)));
  return codes.every((c) => c === 0) ? 0 : 1;
}

/** One process: a live query on this run's tasks, optimistic writes, and a refused one (bob's). */
async function worker(me: "alice" | "bob", run: string): Promise<number> {
  const client = createSyncClient(url, { statsIntervalMs: 0, optimistic: true });
  const ownTask = `${run}-${me}`;
  const theirTask = `${run}-${me === "alice" ? "bob" : "alice"}`;
  let rows: Record<string, unknown>[] = [];
  let changed = (): void => {};
  try {
    await client.connect();
    client.on("rejected", (w) => (console.log(`rejected ${w.template}: ${w.code}`), changed()));
    client.on("confirmed", (w) => (console.log(`confirmed ${w.template} at seq ${w.seq}`), changed()));
    client.live(
      "MATCH (t:Task) WHERE starts_with(t.id, $run) RETURN t.id AS id, t.title AS title, t.status AS status ORDER BY id",
      { run: `${run}-` },
      (next) => {
        rows = next;
        console.log(`live: ${show(client, next)}`);
        changed();
      },
    );
    const until = (what: string, done: () => boolean): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${me}: gave up waiting for ${what}`)), 20_000);
        changed = () => {
          if (!done()) return;
          clearTimeout(timer);
          resolve();
        };
        changed();
      });
    const status = (id: string): unknown => rows.find((r) => r["id"] === id)?.["status"];

    console.log(`writes ADD_TASK ${ownTask}`);
    const written = client.executeTemplate("ADD_TASK", { id: ownTask, title: me === "alice" ? "Write the spec" : "Review the spec" });
    await until("both tasks", () => rows.length === 2);
    await written;
    if (me === "alice") {
      console.log(`writes SET_STATUS ${theirTask} done`);
      await client.executeTemplate("SET_STATUS", { id: theirTask, status: "done" });
    } else {
      console.log(`writes SET_STATUS ${theirTask} archived (the registry allows open, doing, done)`);
      const refused = await client.executeTemplate("SET_STATUS", { id: theirTask, status: "archived" }).then(
        () => null,
        (error: { code?: string }) => error.code ?? String(error),
      );
      if (refused === null) throw new Error("the server accepted a status its registry refuses");
    }
    await until("the final list", () => status(`${run}-alice`) === "open" && status(`${run}-bob`) === "done" && client.pending.length === 0);
    console.log(`final: ${show(client, rows)}`);
    return 0;
  } catch (error) {
    console.error(String(error));
    return 1;
  } finally {
    await client.close();
  }
}

/** Rows as one line; tasks this client's pending writes touch are marked `*`. */
function show(client: SyncClient, rows: Record<string, unknown>[]): string {
  const pending = new Set(client.pending.map((w) => w.params["id"]));
  return rows.map((r) => `${String(r["id"]).replace(/^\w+-/, "")}=${String(r["status"])}${pending.has(r["id"]) ? "*" : ""}`).join(" ") || "(none)";
}

async function printLines(name: string, stream: ReadableStream<Uint8Array>): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const bytes of stream) {
    const lines = (rest + decoder.decode(bytes, { stream: true })).split("\n");
    rest = lines.pop()!;
    for (const line of lines) console.log(`[${name}] ${line}`);
  }
  if (rest) console.log(`[${name}] ${rest}`);
}

/** The gateway's template names, or null when it cannot be reached. */
async function gatewayTemplates(wsUrl: string): Promise<string[] | null> {
  try {
    const response = await fetch(`${wsUrl.replace(/^ws/, "http")}/templates`, { signal: AbortSignal.timeout(3_000) });
    if (!response.ok) return null;
    const body = (await response.json()) as { templates?: { name: string }[] };
    return (body.templates ?? []).map((t) => t.name);
  } catch {
    return null;
  }
}
