/**
 * Where the CLI prints: results on stdout, notes and errors on stderr, each with its own colours.
 * The REPL installs a guard so that lines printed while a prompt is shown go above it.
 * @module
 */
import { colorsFor, type Colors } from "./colors.ts";

/** The part of a writable stream the CLI uses (process.stdout, a pipe, a test's sink). */
export interface OutStream extends NodeJS.WritableStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface InStream extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
}

/** Runs a write; the REPL's guard clears the prompt before and redraws it after. */
export type WriteGuard = (write: () => void) => void;

export interface TerminalOptions {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Suppress notes (progress, "connected to ...") on stderr; results and errors still print. */
  readonly quiet?: boolean;
}

/**
 * @example
 * const term = new Terminal({ stdout: process.stdout, stderr: process.stderr, env: process.env });
 * term.print(term.colors.green("ok"));
 * term.error("cannot reach ws://localhost:8080");
 */
export class Terminal {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  /** Colours for stdout. */
  readonly colors: Colors;
  /** Colours for stderr. */
  readonly errColors: Colors;
  readonly quiet: boolean;
  #guard: WriteGuard | null = null;

  constructor(options: TerminalOptions) {
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.colors = colorsFor(options.stdout, options.env);
    this.errColors = colorsFor(options.stderr, options.env);
    this.quiet = options.quiet ?? false;
  }

  /** Install (or remove with null) the guard every line goes through. */
  setGuard(guard: WriteGuard | null): void {
    this.#guard = guard;
  }

  /** A result line on stdout. */
  print(text: string): void {
    this.#write(this.stdout, text.endsWith("\n") ? text : `${text}\n`);
  }

  /** A note on stderr (progress, state changes); dropped with --quiet. */
  note(text: string): void {
    if (!this.quiet) this.#write(this.stderr, `${this.errColors.dim(text)}\n`);
  }

  warn(text: string): void {
    this.#write(this.stderr, `${this.errColors.yellow("warning:")} ${text}\n`);
  }

  error(text: string): void {
    this.#write(this.stderr, `${this.errColors.red("error:")} ${text}\n`);
  }

  /** Raw write on stderr without a guard (the progress bar redraws its own line). */
  rawErr(text: string): void {
    this.stderr.write(text);
  }

  #write(stream: OutStream, text: string): void {
    const guard = this.#guard;
    if (guard) guard(() => void stream.write(text));
    else stream.write(text);
  }
}
