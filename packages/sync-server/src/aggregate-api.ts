/**
 * Aggregate reads, answered from memory: `GET /aggregates`, `GET /aggregates/<name>`,
 * `GET /aggregates/<name>/<key>`, and the socket's `aggregate` request. Every answer carries the
 * log head it is exact at (`seq`) and the first seq the aggregate counts (`fromSeq`).
 * @module
 */
import { ErrorCode, isRetryable, type AggregateRequest, type ServerMessage } from "@kuzu-sync/protocol";
import type { AggregateReader } from "@kuzu-sync/log";

const notFound = (error: string): Response => Response.json({ error, code: ErrorCode.NOT_FOUND }, { status: 404 });

function unknownName(name: string, reader: AggregateReader | undefined): string {
  const known = reader?.list().map((a) => a.name) ?? [];
  return `unknown aggregate ${JSON.stringify(name)}; known: ${known.length > 0 ? known.join(", ") : "none"}`;
}

/**
 * Answer a request under `/aggregates`; null for any other path. `reader` is undefined when the
 * log backend keeps no aggregates.
 * @example
 * const res = aggregateRoute(new URL(req.url).pathname, log.aggregates, log.headSeq);
 * if (res) return res;
 */
export function aggregateRoute(pathname: string, reader: AggregateReader | undefined, headSeq: number): Response | null {
  if (pathname !== "/aggregates" && !pathname.startsWith("/aggregates/")) return null;
  const parts = pathname.split("/").slice(2);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === "")) {
    return Response.json({ seq: headSeq, aggregates: reader?.list() ?? [] });
  }
  if (parts.length > 2) return notFound("use /aggregates/<name> or /aggregates/<name>/<key> (URL-encode a key containing '/')");
  let name: string;
  let key: string | undefined;
  try {
    name = decodeURIComponent(parts[0]!);
    key = parts[1] === undefined ? undefined : decodeURIComponent(parts[1]);
  } catch {
    return Response.json({ error: "malformed percent-encoding in the path", code: ErrorCode.BAD_MESSAGE }, { status: 400 });
  }
  const info = reader?.info(name) ?? null;
  if (!reader || !info) return notFound(unknownName(name, reader));
  if (key === undefined) {
    return Response.json({ name, seq: headSeq, fromSeq: info.fromSeq, values: Object.fromEntries(reader.values(name)!) });
  }
  const value = reader.value(name, key);
  if (value === undefined) return notFound(`aggregate ${name} has no value for key ${JSON.stringify(key)}`);
  return Response.json({ name, key, seq: headSeq, fromSeq: info.fromSeq, value });
}

/**
 * Answer a socket `aggregate` request: an `aggregate` message, or a `reject` (NOT_FOUND) naming
 * the known aggregates. A key with no value is answered with `value: null`, not an error.
 * @example
 * send(ws, aggregateAnswer(msg, log.aggregates, log.headSeq));
 */
export function aggregateAnswer(request: AggregateRequest, reader: AggregateReader | undefined, headSeq: number): ServerMessage {
  const info = reader?.info(request.name) ?? null;
  if (!reader || !info) {
    return { type: "reject", id: request.id, code: ErrorCode.NOT_FOUND, message: unknownName(request.name, reader), retryable: isRetryable(ErrorCode.NOT_FOUND) };
  }
  const base = { type: "aggregate", id: request.id, name: request.name, seq: headSeq, fromSeq: info.fromSeq } as const;
  if (request.key === undefined) return { ...base, values: Object.fromEntries(reader.values(request.name)!) };
  return { ...base, key: request.key, value: reader.value(request.name, request.key) ?? null };
}
