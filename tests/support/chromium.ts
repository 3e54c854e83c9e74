/**
 * A real headless Chromium for tests: Debian's `chromium` package (installed by `./dev test`),
 * driven by playwright-core over the DevTools protocol. No browser is downloaded. Pages opened
 * here fail the test on an uncaught page error: `errors` collects them for an assertion.
 * @module
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's /usr/bin/chromium, or the one on PATH (nix develop, nix run .#test). */
export const CHROMIUM = Bun.which("chromium") ?? "/usr/bin/chromium";

/** Flags for a sandbox-less container: no GPU, no network besides the test's own servers. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

export interface Chromium extends AsyncDisposable {
  readonly browser: Browser;
  /** Uncaught errors of every page opened with {@link Chromium.open}, as "page N: message". */
  readonly errors: string[];
  /** Every URL the pages (and their workers) requested, in order. */
  readonly requested: string[];
  /** A new page in a context of its own (own storage, own workers), at `url`. */
  open(url: string): Promise<Page>;
}

/**
 * @example
 * await using chrome = await launchChromium();
 * const page = await chrome.open("http://127.0.0.1:5173/");
 */
export async function launchChromium(): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: \`./dev test\` installs it, or as root: apt-get install -y chromium`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS], timeout: 30_000 });
  const errors: string[] = [];
  const requested: string[] = [];
  let pages = 0;
  return {
    browser,
    errors,
    requested,
    async open(url) {
      const n = ++pages;
      const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
      context.on("request", (r) => void requested.push(r.url()));
      const page = await context.newPage();
      page.on("pageerror", (e) => errors.push(`page ${n}: ${e.message}`));
      await page.goto(url);
      return page;
    },
    [Symbol.asyncDispose]: () => browser.close(),
  };
}
