/**
 * A real OTLP/HTTP logs receiver for tests: `Bun.serve` on a free port that accepts
 * `POST /v1/logs` with an OTLP/JSON `ExportLogsServiceRequest` (plain or gzip) and keeps the decoded
 * records.
 * Exported as `@kuzu-sync/telemetry/testing`, not from the package's main entry.
 * @module
 */

/** One received log record, with OTLP `AnyValue`s decoded to plain values. */
export interface ReceivedLogRecord {
  readonly resource: Readonly<Record<string, unknown>>;
  readonly scope: string;
  readonly timeUnixNano: string;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: unknown;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly traceId?: string;
  readonly spanId?: string;
}

/** One received request. */
export interface ReceivedRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A running receiver. */
export interface OtlpLogReceiver extends AsyncDisposable {
  /** Base endpoint, for `OTEL_EXPORTER_OTLP_ENDPOINT` (e.g. `http://127.0.0.1:40123`). */
  readonly endpoint: string;
  readonly records: readonly ReceivedLogRecord[];
  readonly requests: readonly ReceivedRequest[];
  /** Answer further requests with this status (see {@link OtlpLogReceiverOptions.status}). */
  respondWith(status: number): void;
  stop(): Promise<void>;
}

/** Options of {@link startOtlpLogReceiver}. */
export interface OtlpLogReceiverOptions {
  /** HTTP status to answer with; anything but 200 makes the exporter report a failed export. */
  readonly status?: number;
}

/**
 * Start a receiver on 127.0.0.1, port 0.
 * @example
 * await using receiver = startOtlpLogReceiver();
 * const telemetry = await createTelemetry({
 *   serviceName: "t",
 *   env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint },
 *   sink: () => {},
 * });
 * telemetry.logger.info("hello");
 * await telemetry.shutdown();
 * receiver.records[0]?.body; // "hello"
 */
export function startOtlpLogReceiver(options: OtlpLogReceiverOptions = {}): OtlpLogReceiver {
  const records: ReceivedLogRecord[] = [];
  const requests: ReceivedRequest[] = [];
  let status = options.status ?? 200;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      requests.push({ path, headers: Object.fromEntries(request.headers) });
      if (request.method !== "POST" || path !== "/v1/logs") return new Response("not found", { status: 404 });
      if (!request.headers.get("content-type")?.startsWith("application/json")) {
        return new Response("only OTLP/JSON is decoded here", { status: 415 });
      }
      if (status !== 200) return new Response("refused by test", { status });
      const bytes = new Uint8Array(await request.arrayBuffer());
      const body = request.headers.get("content-encoding") === "gzip" ? Bun.gunzipSync(bytes) : bytes;
      records.push(...decodeExportLogsRequest(JSON.parse(new TextDecoder().decode(body))));
      return Response.json({});
    },
  });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= server.stop(true));
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    records,
    requests,
    respondWith: (next) => {
      status = next;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

// ---- OTLP/JSON decoding ------------------------------------------------------------------------

type Json = Record<string, unknown>;

/**
 * Flatten an OTLP/JSON `ExportLogsServiceRequest` into records.
 * @example
 * decodeExportLogsRequest(await request.json()).map((r) => r.body);
 */
export function decodeExportLogsRequest(payload: unknown): ReceivedLogRecord[] {
  const out: ReceivedLogRecord[] = [];
  for (const rl of array(obj(payload)["resourceLogs"])) {
    const resource = keyValues(obj(obj(rl)["resource"])["attributes"]);
    for (const sl of array(obj(rl)["scopeLogs"])) {
      const scope = String(obj(obj(sl)["scope"])["name"] ?? "");
      for (const lr of array(obj(sl)["logRecords"])) {
        const r = obj(lr);
        const traceId = typeof r["traceId"] === "string" && r["traceId"] !== "" ? r["traceId"] : undefined;
        const spanId = typeof r["spanId"] === "string" && r["spanId"] !== "" ? r["spanId"] : undefined;
        out.push({
          resource,
          scope,
          timeUnixNano: String(r["timeUnixNano"] ?? ""),
          severityNumber: Number(r["severityNumber"] ?? 0),
          severityText: String(r["severityText"] ?? ""),
          body: anyValue(r["body"]),
          attributes: keyValues(r["attributes"]),
          ...(traceId !== undefined ? { traceId } : {}),
          ...(spanId !== undefined ? { spanId } : {}),
        });
      }
    }
  }
  return out;
}

function keyValues(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of array(list)) out[String(obj(kv)["key"])] = anyValue(obj(kv)["value"]);
  return out;
}

function anyValue(value: unknown): unknown {
  const v = obj(value);
  if ("stringValue" in v) return v["stringValue"];
  if ("boolValue" in v) return v["boolValue"];
  // int64 is a JSON string in OTLP/JSON (a number is tolerated)
  if ("intValue" in v) return Number(v["intValue"]);
  if ("doubleValue" in v) return Number(v["doubleValue"]);
  if ("bytesValue" in v) return v["bytesValue"];
  if ("arrayValue" in v) return array(obj(v["arrayValue"])["values"]).map(anyValue);
  if ("kvlistValue" in v) return keyValues(obj(v["kvlistValue"])["values"]);
  return undefined;
}

function obj(value: unknown): Json {
  return typeof value === "object" && value !== null ? (value as Json) : {};
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
