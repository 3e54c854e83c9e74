/**
 * ANSI colours, on only for a terminal and never when `NO_COLOR` is set (https://no-color.org).
 * @module
 */

export interface Colors {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const same = (text: string) => text;

/** Colours that do nothing. */
export const noColors: Colors = Object.freeze({
  enabled: false,
  bold: same,
  dim: same,
  red: same,
  green: same,
  yellow: same,
  blue: same,
  cyan: same,
  magenta: same,
});

const ansi: Colors = Object.freeze({
  enabled: true,
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  blue: wrap(34, 39),
  cyan: wrap(36, 39),
  magenta: wrap(35, 39),
});

/**
 * Colours for one output stream.
 * @example colorsFor(process.stdout, process.env).green("ok")
 */
export function colorsFor(stream: { readonly isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): Colors {
  const noColor = env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "";
  return stream.isTTY === true && !noColor && env["TERM"] !== "dumb" ? ansi : noColors;
}

const ANSI_PATTERN = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Text without ANSI escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, "");
}
