import { expect, test } from "bun:test";
import { Writable } from "node:stream";
import { stripAnsi } from "./colors.ts";
import { Progress, renderBar } from "./progress.ts";
import { Terminal, type OutStream } from "./terminal.ts";

/** A real Writable that keeps what was written, standing in for a terminal or a pipe. */
function sink(isTTY: boolean): OutStream & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (chunks.push(String(chunk)), done()) });
  return Object.assign(stream, { isTTY, columns: 100, text: () => chunks.join("") });
}

test("renderBar shows fraction, counts, rate and ETA, and fits the width", () => {
  const line = renderBar({ label: "catching up", unit: "events", done: 4_500, total: 10_000, ratePerSec: 1_000, columns: 100 });
  expect(line).toMatch(/^catching up \[=+> +\]  45% 4,500\/10,000 events 1,000\/s ETA 6s$/);
  expect(line.length).toBeLessThan(100);
  expect(renderBar({ label: "x", unit: "events", done: 10, total: 10, ratePerSec: 5, columns: 60 })).toMatch(/\[=+\] 100% 10\/10 events/);
  expect(renderBar({ label: "x", unit: "events", done: 0, total: 10, ratePerSec: 0, columns: 20 })).toBe("x   0% 0/10 events 0/s ETA ?");
});

test("on a TTY the bar is redrawn in place and cleared, then one summary line", () => {
  let now = 0;
  const err = sink(true);
  const term = new Terminal({ stdout: sink(true), stderr: err, env: {} });
  const p = new Progress(term, { tty: true, now: () => now, columns: 100 });
  p.start(1_000);
  now = 500;
  p.update(400);
  now = 1_000;
  p.update(800);
  p.finish();
  expect(err.text().match(/\r\x1b\[2K/g)?.length).toBe(3); // two draws, one clear
  const out = stripAnsi(err.text());
  expect(out).toContain("40% 400/1,000 events");
  expect(out).toContain("80% 800/1,000 events");
  expect(out).toMatch(/catching up: done, 1,000 events in 1s \(1,000\/s\)\n/);
});

test("without a TTY: plain lines, no carriage returns, silent for short catch-ups", () => {
  let now = 0;
  const err = sink(false);
  const term = new Terminal({ stdout: sink(false), stderr: err, env: {} });
  const p = new Progress(term, { tty: false, now: () => now, plainEveryMs: 1_000 });
  p.start(5_000);
  now = 1_500;
  p.update(2_500);
  now = 3_000;
  p.update(5_000);
  p.finish();
  expect(err.text()).toBe(
    ["catching up: 5,000 events", "catching up: 2,500/5,000 events (50%, 1,667/s, ETA 2s)", "catching up: done, 5,000 events in 3s (1,667/s)", ""].join("\n"),
  );
  const quiet = sink(false);
  const small = new Progress(new Terminal({ stdout: sink(false), stderr: quiet, env: {} }), { tty: false });
  small.start(10);
  small.update(10);
  small.finish();
  expect(quiet.text()).toBe("");
});
