// The gateway's dashboard: one Server-Sent Events stream (GET /dashboard/stream, read with fetch
// so the token can travel in the Authorization header, never in a URL), one frame a second, every
// widget drawn from the frame. Shipped as is with the gateway: no build step, no dependency.
//
// The token, when the gateway requires one, comes from the URL fragment (#token=…, which browsers
// never send to a server; it is removed from the address bar at once) or from the login field,
// and is kept in this page's memory only.

const STREAM = "/dashboard/stream";
const RETRY_MS = 1000;

let token = new URLSearchParams(location.hash.slice(1)).get("token");
if (location.hash !== "") history.replaceState(null, "", location.pathname + location.search);

const $ = (id) => document.getElementById(id);

function setState(state, text) {
  const el = $("state");
  el.dataset.state = state;
  el.textContent = text;
}

/** `a.b.c` of an object, or undefined. */
function pick(value, path) {
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || !(key in value)) return undefined;
    value = value[key];
  }
  return value;
}

function format(value) {
  if (value === undefined || value === null) return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  return String(value);
}

/** Show `value` in `el`; the raw value stays in data-value (for tests and copy-paste). */
function show(el, value) {
  el.dataset.value = value === undefined ? "" : JSON.stringify(value);
  el.textContent = format(value);
}

function cell(row, value, numeric) {
  const td = row.insertCell();
  show(td, value);
  if (numeric) td.className = "num";
  return td;
}

function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

function drawChart(rate) {
  const counts = rate.counts.slice(0, -1); // the current second is not over yet
  const peak = Math.max(1, ...counts);
  const w = 600;
  const h = 120;
  const step = counts.length > 1 ? w / (counts.length - 1) : w;
  const points = counts.map((c, i) => `${(i * step).toFixed(1)},${(h - (c / peak) * (h - 6)).toFixed(1)}`);
  $("chart-line").setAttribute("points", points.join(" "));
  $("chart-area").setAttribute("d", `M0,${h} L${points.join(" L")} L${w},${h} Z`);
  show($("chart-peak"), Math.max(0, ...counts));
}

function fillTable(tbody, rows) {
  tbody.replaceChildren();
  for (const values of rows) {
    const tr = tbody.insertRow();
    values.forEach((v, i) => cell(tr, v, i > 0 && typeof v === "number"));
  }
}

function render(frame) {
  const context = { ...frame, replicaLag: typeof frame.health.replicaSeq === "number" ? Math.max(0, frame.health.headSeq - frame.health.replicaSeq) : null };
  for (const el of document.querySelectorAll("[data-field]")) show(el, pick(context, el.dataset.field));
  show($("updated"), new Date(frame.at).toLocaleTimeString("en-GB"));
  drawChart(frame.rate);

  const clients = $("clients");
  clients.replaceChildren();
  for (const c of frame.clients.listed) {
    const tr = clients.insertRow();
    tr.dataset.clientId = c.clientId;
    cell(tr, c.clientId);
    cell(tr, c.sockets, true);
    cell(tr, c.appliedSeq, true).dataset.column = "appliedSeq";
    cell(tr, c.lag, true).dataset.column = "lag";
    cell(tr, c.deliveredSeq, true);
    cell(tr, c.helloSeq, true);
    cell(tr, ago(frame.at - c.connectedAt));
  }

  const byTemplate = frame.stats.dml.byTemplate;
  const names = [...new Set([...Object.keys(frame.stats.events.byTemplate), ...Object.keys(byTemplate)])].sort();
  fillTable(
    $("templates"),
    names.map((n) => [n, frame.stats.events.byTemplate[n] ?? 0, byTemplate[n]?.accepted ?? 0, byTemplate[n]?.applied ?? 0, byTemplate[n]?.failed ?? 0]),
  );
  for (const tr of $("templates").rows) tr.dataset.template = tr.cells[0].textContent;

  fillTable(
    $("aggregates"),
    frame.aggregates.map((a) => [a.name, a.groups, a.total, a.top === null ? "(too many groups to rank)" : a.top.map(([k, v]) => `${k}: ${format(v)}`).join(", ")]),
  );
  for (const tr of $("aggregates").rows) tr.dataset.aggregate = tr.cells[0].textContent;

  const nats = frame.health.nats !== undefined || frame.health.stream !== undefined;
  $("nats").hidden = !nats;
  $("nats-off").hidden = nats;

  const listing = (obj) => (Object.keys(obj).length === 0 ? "none" : Object.entries(obj).map(([k, v]) => `${k}: ${format(v)}`).join(", "));
  $("rejected").textContent = listing(frame.stats.rejected);
  $("refused").textContent = listing(frame.stats.refusedUpgrades);
}

/** Read SSE frames from a fetch response until it ends. */
async function readFrames(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      if (data !== "") {
        render(JSON.parse(data));
        setState("live", "live");
      }
    }
  }
}

function askForToken(message) {
  setState("unauthorized", "token needed");
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("token").focus();
}

let running = false;
async function follow() {
  if (running) return;
  running = true;
  try {
    for (;;) {
      try {
        const res = await fetch(STREAM, { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: "no-store" });
        if (res.status === 401) return askForToken(token ? "the gateway refused this token" : "");
        if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
        $("login").hidden = true;
        await readFrames(res.body);
      } catch {
        // The gateway went away (restart, network): try again shortly.
      }
      setState("reconnecting", "reconnecting…");
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  } finally {
    running = false;
  }
}

$("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  token = $("token").value.trim() || null;
  $("token").value = "";
  setState("connecting", "connecting…");
  void follow();
});

void follow();
