/**
 * The client's periodic DML statistics report (`statsIntervalMs`, `onStatsReport`).
 * @module
 */
import type { DmlStats, Logger } from "@kuzu-sync/telemetry";
import type { SyncClientOptions } from "./client-options.ts";

/**
 * Report every `statsIntervalMs` (default 5000; 0: never) to `onStatsReport`, else log it at info.
 * Returns the function that stops it. The timer does not keep the process alive.
 * @example const stop = startStatsReports(stats, options, log, clientId); // … stop();
 */
export function startStatsReports(stats: DmlStats, options: SyncClientOptions, log: Logger, clientId: string): () => void {
  const interval = options.statsIntervalMs ?? 5_000;
  if (interval <= 0) return () => {};
  const timer = setInterval(() => {
    const report = stats.formatReport();
    if (options.onStatsReport) options.onStatsReport(report, stats.getDMLStats());
    else log.info(report, { clientId });
  }, interval);
  (timer as { unref?: () => void }).unref?.(); // a browser timer has no unref
  return () => clearInterval(timer);
}
