/**
 * Bare WebSocket writers speaking the protocol (hello, then `event` frames), for the benchmarks'
 * baselines and load: no outbox, no replica, nothing but the frames. Two shapes:
 *
 * - {@link windowWriter}: closed loop, `window` events in flight (a new one per ack): the most a
 *   pipelining writer gets.
 * - {@link pacedWriter}: open loop at a fixed rate (events spread evenly over time), for latency
 *   at a given load.
 *
 * Both return each event's send → ack latency in ms. Fan-out frames that arrive on the writer's
 * socket are skipped without parsing.
 * @module
 */

export interface WriterOptions {
  readonly url: string;
  /** Client id (also the prefix of every event id). */
  readonly name: string;
  readonly count: number;
  /** Template and params of event `i`. */
  readonly event?: (i: number) => { readonly template: string; readonly params: Record<string, unknown> };
  /** Events per `events` frame (1: one `event` frame each). */
  readonly perFrame?: number;
  /** Append `@<send time, epoch µs>` to each event id (fan-out latency is measured from it). */
  readonly stamp?: boolean;
}

const counter = (name: string) => (_: number) => ({ template: "INCREMENT_COUNTER", params: { counterId: name } });

/**
 * The gateway's head now (GET /health beside the WebSocket URL): a hello at it skips catch-up. Not a
 * seq far ahead: a gateway in JetStream mode waits up to 5 s for a head it has not reached
 * (another gateway may have appended it), then refuses the hello with REPLICA_AHEAD.
 * @example ws.send(JSON.stringify({ type: "hello", clientId, lastSeq: await headSeqOf(url) }));
 */
export async function headSeqOf(wsUrl: string): Promise<number> {
  const http = wsUrl.replace(/^ws/, "http").replace(/\/+$/, "");
  return ((await (await fetch(`${http}/health`)).json()) as { headSeq: number }).headSeq;
}

/** A socket that said hello and is live (catch-up skipped: hello at the gateway's head). */
async function open(url: string, name: string, onMessage: (text: string) => void): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
  });
  const live = new Promise<void>((resolve, reject) => {
    ws.onmessage = (m) => {
      const text = String(m.data);
      if (text.startsWith('{"type":"live"')) {
        ws.onmessage = (next) => {
          const t = String(next.data);
          // Fan-out of everyone's events arrives here too; only acks, rejects and errors matter.
          if (!t.startsWith('{"type":"events"')) onMessage(t);
        };
        resolve();
      } else if (text.startsWith('{"type":"error"')) reject(new Error(text));
    };
  });
  ws.send(JSON.stringify({ type: "hello", clientId: name, lastSeq: await headSeqOf(url) }));
  await live;
  return ws;
}

/** Sends ids `name-i`; calls `acked(i)` per ack, throws on a reject or error. */
function tracker(name: string, onAck: (i: number) => void): (text: string) => void {
  const prefix = `${name}-`;
  return (text) => {
    const msg = JSON.parse(text) as { type: string; id?: string; code?: string; message?: string };
    if (msg.type === "ack") onAck(Number.parseInt(msg.id!.slice(prefix.length), 10));
    else throw new Error(`${name}: ${msg.type} ${msg.code} ${msg.message ?? ""} for ${msg.id ?? "-"}`);
  };
}

/** Epoch µs, comparable across processes on one machine. */
export const epochMicros = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

/** One `event` frame (`batch` false), or one `events` frame of `n` events. */
function frameOf(name: string, first: number, n: number, make: WriterOptions["event"], batch: boolean, stamp = false): string {
  const ev = make ?? counter(name);
  const suffix = stamp ? `@${epochMicros()}` : "";
  const events = Array.from({ length: n }, (_, k) => ({ id: `${name}-${first + k}${suffix}`, ...ev(first + k), clientId: name, timestamp: Date.now() }));
  return batch ? JSON.stringify({ type: "events", events }) : JSON.stringify({ type: "event", event: events[0] });
}

/**
 * Closed loop: `window` events in flight; resolves with every send → ack latency (ms).
 * @example const latencies = await windowWriter({ url, name: "w1", count: 10_000 }, 32);
 */
export async function windowWriter(options: WriterOptions, window: number): Promise<number[]> {
  const { url, name, count } = options;
  const perFrame = Math.max(1, options.perFrame ?? 1);
  const sentAt = new Float64Array(count);
  const latencies: number[] = [];
  let next = 0;
  let inFlight = 0;
  let done!: () => void;
  let failed!: (e: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => ((done = resolve), (failed = reject)));
  let ws!: WebSocket;
  const pump = () => {
    while (next < count && inFlight + Math.min(perFrame, count - next) <= Math.max(window, perFrame)) {
      const n = Math.min(perFrame, count - next);
      const now = performance.now();
      for (let k = 0; k < n; k++) sentAt[next + k] = now;
      ws.send(frameOf(name, next, n, options.event, perFrame > 1));
      next += n;
      inFlight += n;
    }
  };
  const onMessage = tracker(name, (i) => {
    latencies.push(performance.now() - sentAt[i]!);
    inFlight--;
    if (latencies.length === count) done();
    else pump();
  });
  ws = await open(url, name, (text) => {
    try {
      onMessage(text);
    } catch (error) {
      failed(error);
    }
  });
  pump();
  try {
    await finished;
  } finally {
    ws.close();
  }
  return latencies;
}

/**
 * Open loop: `count` events at `rate` per second (sent in small bursts every few ms), whatever
 * the acks do; resolves with every send → ack latency (ms).
 * @example const latencies = await pacedWriter({ url, name: "w1", count: 5_000 }, 500);
 */
export async function pacedWriter(options: WriterOptions, rate: number): Promise<number[]> {
  const { url, name, count } = options;
  const sentAt = new Float64Array(count);
  const latencies: number[] = [];
  let done!: () => void;
  let failed!: (e: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => ((done = resolve), (failed = reject)));
  const onMessage = tracker(name, (i) => {
    latencies.push(performance.now() - sentAt[i]!);
    if (latencies.length === count) done();
  });
  const ws = await open(url, name, (text) => {
    try {
      onMessage(text);
    } catch (error) {
      failed(error);
    }
  });
  const t0 = performance.now();
  let next = 0;
  const tick = setInterval(() => {
    // Everything due by now, so a late timer catches up instead of lowering the rate.
    const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    for (; next < due; next++) {
      sentAt[next] = performance.now();
      ws.send(frameOf(name, next, 1, options.event, false, options.stamp));
    }
    if (next >= count) clearInterval(tick);
  }, 2);
  try {
    await finished;
  } finally {
    clearInterval(tick);
    ws.close();
  }
  return latencies;
}

/** The `p`-th percentile (0–100) of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
