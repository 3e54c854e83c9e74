/**
 * The dashboard page's files (`src/dashboard/`), served as they are: plain HTML, CSS and a script
 * module, no build step. They hold no data (the numbers come over the authenticated stream), so
 * they are served without a token: a browser cannot attach one to a page it navigates to.
 * @module
 */
import { join } from "node:path";

const DIR = join(import.meta.dir, "dashboard");

/** Path → file and content type. Nothing else under /dashboard is served from disk. */
const ASSETS: Readonly<Record<string, readonly [file: string, type: string]>> = {
  "/dashboard": ["index.html", "text/html; charset=utf-8"],
  "/dashboard/": ["index.html", "text/html; charset=utf-8"],
  "/dashboard/dashboard.js": ["dashboard.js", "text/javascript; charset=utf-8"],
  "/dashboard/dashboard.css": ["dashboard.css", "text/css; charset=utf-8"],
};

/**
 * The page keeps the token in memory only, and no script, style or connection may leave the
 * gateway's origin; no referrer carries the URL (its fragment may hold the token) anywhere.
 */
const HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache",
};

/** Whether `pathname` is one of the page's files (served without a token). */
export function isDashboardAsset(pathname: string): boolean {
  return Object.hasOwn(ASSETS, pathname);
}

/**
 * @example if (isDashboardAsset(url.pathname)) return dashboardAsset(url.pathname);
 */
export function dashboardAsset(pathname: string): Response {
  const asset = ASSETS[pathname];
  if (asset === undefined) return Response.json({ error: "not found" }, { status: 404 });
  const [file, type] = asset;
  return new Response(Bun.file(join(DIR, file)), { headers: { "content-type": type, ...HEADERS } });
}
