/**
 * The one `waitForLine` of the process launchers (tests/support/lines.ts), against real child
 * processes: a line printed before or after the wait, and a process that exits without it.
 */
import { describe, expect, test } from "bun:test";
import { LineWatcher } from "./support/lines.ts";

describe("LineWatcher", () => {
  test("finds a line on either stream, printed before the wait or after it", async () => {
    // The last line waits for stdin, so it is printed only once the wait for it has begun.
    const proc = Bun.spawn(["sh", "-c", "echo first; echo 'on stderr' >&2; read x; echo \"later $x\""], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const out = new LineWatcher("sh", [proc.stdout, proc.stderr], proc.exited);
    expect(await out.waitForLine(/stderr/)).toBe("on stderr");
    const later = out.waitForLine(/^later/);
    proc.stdin.write("go\n");
    proc.stdin.end();
    expect(await later).toBe("later go");
    expect(await out.waitForLine(/^first$/)).toBe("first");
    expect(await proc.exited).toBe(0);
  });

  test("rejects as soon as the process exits without printing the line, long before its timeout", async () => {
    const proc = Bun.spawn(["sh", "-c", "echo something else; exit 3"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const out = new LineWatcher("sh", [proc.stdout, proc.stderr], proc.exited);
    // Ten minutes: only the exit can end this wait within the test's own timeout.
    const error = (await out.waitForLine(/never/, 600_000).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain("sh exited with 3 before printing /never/");
    expect(error.message).toContain("something else");
    // And a wait that starts after the exit rejects too.
    await expect(out.waitForLine(/never/)).rejects.toThrow("exited with 3");
  });

  test("rejects at the timeout while the process lives on", async () => {
    const proc = Bun.spawn(["sh", "-c", "echo up; exec sleep 30"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    try {
      const out = new LineWatcher("sleeper", [proc.stdout, proc.stderr], proc.exited);
      await out.waitForLine(/up/);
      await expect(out.waitForLine(/never/, 200)).rejects.toThrow("sleeper did not print /never/ within 200 ms");
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  });
});
