/**
 * The page's script: a browser replica (`@kuzu-sync/client` on kuzu-wasm, in memory) that lists
 * the users of the example registry, re-querying after each batch of applied events, and a form
 * that writes through the `CREATE_USER` template. Bundled by build.ts, served by serve.ts.
 *
 * The gateway comes from `?gateway=ws://host:port` (default: port 8080 of the page's host); with
 * authentication on, a token in the fragment (`#token=…`, which the browser sends nowhere; the
 * client puts it on the WebSocket URL) and `?clientId=` set to the token's subject.
 * @module
 */
import { createSyncClient } from "@kuzu-sync/client";
import { createLogger, type LogRecord } from "@kuzu-sync/telemetry";

const USERS = "MATCH (u:User) RETURN u.id AS id, u.name AS name ORDER BY id";

const gateway = new URLSearchParams(location.search).get("gateway") ?? `ws://${location.hostname}:8080`;
const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? undefined;
if (location.hash !== "") history.replaceState(null, "", location.pathname + location.search); // keep the token off the address bar

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

const status = element<HTMLSpanElement>("status");
const seqView = element<HTMLElement>("seq");
const users = element<HTMLTableSectionElement>("users");
const logView = element<HTMLParagraphElement>("log");
const form = element<HTMLFormElement>("create-user");
element<HTMLElement>("gateway").textContent = gateway;

/** The client's log records, newest first, in the page (a browser has no stdout). */
function showLog(record: LogRecord): void {
  logView.textContent = `${record.severityText} ${record.body}\n${logView.textContent ?? ""}`.slice(0, 4_000);
}

// With authentication on the client id must be the token's subject: `?clientId=`.
const clientId = new URLSearchParams(location.search).get("clientId") ?? undefined;

const client = createSyncClient(gateway, {
  statsIntervalMs: 0,
  ...(clientId === undefined ? {} : { clientId }),
  logger: createLogger({ serviceName: "kuzu-sync-web-example", level: "info", sink: showLog }),
  ...(token === undefined ? {} : { token }),
});

function setStatus(state: "connecting" | "live" | "offline", text: string): void {
  status.dataset["state"] = state;
  status.textContent = text;
}

/**
 * Re-query after applied events, one query at a time: events that arrive while a query runs only
 * mark the list stale, and one more query follows.
 */
let refreshing: Promise<void> | null = null;
let stale = false;
function refresh(): void {
  if (refreshing !== null) {
    stale = true;
    return;
  }
  refreshing = (async () => {
    do {
      stale = false;
      const rows = await client.query(USERS);
      users.replaceChildren(
        ...rows.map((r) => {
          const tr = document.createElement("tr");
          tr.dataset["id"] = String(r["id"]);
          for (const v of [r["id"], r["name"]]) tr.appendChild(document.createElement("td")).textContent = String(v ?? "");
          return tr;
        }),
      );
      seqView.textContent = String(client.lastAppliedSeq);
      users.dataset["seq"] = String(client.lastAppliedSeq);
    } while (stale);
  })().finally(() => (refreshing = null));
}

client.on("event", refresh);
client.on("connected", ({ serverId }) => setStatus("live", `connected to ${serverId}`));
client.on("live", refresh);
client.on("disconnected", () => setStatus("offline", "offline, reconnecting…"));
client.on("error", (e) => showLog({ severityText: "ERROR", body: `${e.code}: ${e.message}` } as LogRecord));

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const data = new FormData(form);
  const params = { id: String(data.get("id") ?? ""), name: String(data.get("name") ?? "") };
  form.reset();
  client.executeTemplate("CREATE_USER", params).then(
    ({ seq }) => showLog({ severityText: "INFO", body: `CREATE_USER ${params.id} acknowledged as #${seq}` } as LogRecord),
    (e: unknown) => showLog({ severityText: "ERROR", body: `CREATE_USER ${params.id} refused: ${String(e)}` } as LogRecord),
  );
});

/** For tests and the console: the client and its replica's query. */
Object.assign(globalThis, { kuzuSyncExample: { client, query: (cypher: string) => client.query(cypher) } });

client.connect().catch((e: unknown) => setStatus("offline", `cannot connect: ${String(e)}`));
