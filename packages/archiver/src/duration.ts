/**
 * Durations as operators write them: `30d`, `12h`, `15m`, `90s`, `500ms`, `2w`, `0s`.
 * @module
 */

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Milliseconds in `text`, or null when it is not `<whole number><unit>` (units: ms s m h d w).
 * @example parseDuration("30d") // 2_592_000_000
 */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,12})(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  return Number.isSafeInteger(ms) ? ms : null;
}
