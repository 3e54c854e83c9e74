#!/usr/bin/env bun
/**
 * `sync-client` bin: process glue around {@link runCli} (signals, broken pipes, exit status).
 * @module
 */
import { runCli } from "./cli/program.ts";

const controller = new AbortController();
let interrupts = 0;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    // First signal: finish cleanly (close the replica, print what is due). Second: now.
    if (++interrupts > 1) process.exit(130);
    controller.abort();
  });
}
// `sync-client watch --json | head -3`: a closed pipe ends the command quietly.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

const status = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
// Open handles (a socket in its closing handshake, stdin) must not keep a finished command alive.
process.exit(status);
