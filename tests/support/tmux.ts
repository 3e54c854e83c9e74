/**
 * A real pseudo-terminal for tests, through tmux (Debian package `tmux`): start a command in a
 * detached session on a private server socket, type into it, and poll the screen until the
 * expected text shows up (or a timeout names what the screen held instead).
 * @module
 */
import { REPO_ROOT } from "./cli-process.ts";

let sessions = 0;

export interface TmuxOptions {
  readonly cols?: number;
  readonly rows?: number;
  readonly env?: Readonly<Record<string, string>>;
}

async function tmux(socket: string, ...args: string[]): Promise<string> {
  if (Bun.which("tmux") === null) throw new Error("tmux is not installed: `./dev test` installs it, or as root: apt-get install -y tmux");
  const proc = Bun.spawn(["tmux", "-L", socket, "-f", "/dev/null", ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`tmux ${args.join(" ")} failed (${code}): ${err}`);
  return out;
}

export class TmuxSession implements AsyncDisposable {
  readonly socket: string;

  private constructor(socket: string) {
    this.socket = socket;
  }

  /**
   * Run `argv` in a new terminal. When it exits, the screen shows `[exit N]` (the shell keeps the
   * pane open so the test can read the last screen).
   */
  static async start(argv: readonly string[], options: TmuxOptions = {}): Promise<TmuxSession> {
    const socket = `kuzu-sync-test-${process.pid}-${++sessions}`;
    const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ");
    const command = `cd ${shellQuote(REPO_ROOT)} && env -u SYNC_URL -u NO_COLOR ${env} ${argv.map(shellQuote).join(" ")}; echo "[exit $?]"; sleep 600`;
    await tmux(socket, "new-session", "-d", "-s", "main", "-x", String(options.cols ?? 120), "-y", String(options.rows ?? 40), "sh", "-c", command);
    return new TmuxSession(socket);
  }

  /** The visible screen, one string. */
  screen(): Promise<string> {
    return tmux(this.socket, "capture-pane", "-p", "-t", "main");
  }

  /** The visible screen with colour escape sequences kept. */
  screenWithEscapes(): Promise<string> {
    return tmux(this.socket, "capture-pane", "-p", "-e", "-t", "main");
  }

  /** Type text literally (no key names). */
  async type(text: string): Promise<void> {
    await tmux(this.socket, "send-keys", "-t", "main", "-l", text);
  }

  /** Press keys by tmux name: Tab, Enter, C-c, C-d ... */
  async press(...keys: string[]): Promise<void> {
    await tmux(this.socket, "send-keys", "-t", "main", ...keys);
  }

  /** Poll the screen until `check` passes; the error shows the last screen. */
  async waitFor(check: RegExp | ((screen: string) => boolean), timeoutMs = 20_000): Promise<string> {
    const test = typeof check === "function" ? check : (s: string) => check.test(s);
    const deadline = performance.now() + timeoutMs;
    let last = "";
    while (performance.now() < deadline) {
      last = await this.screen();
      if (test(last)) return last;
      await Bun.sleep(40);
    }
    throw new Error(`terminal did not show ${String(check)} within ${timeoutMs} ms; screen:\n${last}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await tmux(this.socket, "kill-server").catch(() => {});
  }
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
