/**
 * @kuzu-sync/telemetry/testing — helpers for tests in any package: a real OTLP/HTTP logs receiver.
 * @module
 */
export { decodeExportLogsRequest, startOtlpLogReceiver } from "./otlp-receiver.ts";
export type { OtlpLogReceiver, OtlpLogReceiverOptions, ReceivedLogRecord, ReceivedRequest } from "./otlp-receiver.ts";
