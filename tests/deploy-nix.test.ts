/**
 * flake.nix without a Nix store: the real `nix-instantiate --parse` accepts it, the apps table it
 * imports evaluates (nix-instantiate --eval) to the four apps, each pointing at a file that exists,
 * the runner they share runs a bin of this checkout, its inputs are pinned, and its outputs,
 * evaluated by the real Nix against stand-ins for nixpkgs' builders (there is no nixpkgs here),
 * give each app only the tools it runs.
 */
import { describe, expect, test } from "bun:test";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, requireBinary } from "./support/compose.ts";

interface App {
  readonly program: string;
  readonly args: readonly string[];
  readonly description: string;
}

/**
 * Stand-ins for what the flake takes from nixpkgs: each package is its name, each builder returns
 * what it was given. Only the flake's own wiring is evaluated; nothing is built.
 */
const STUB_NIXPKGS = `{ system }:
let names = [ "nats-server" "tmux" "docker-compose" "nix" "wget" "bash" "coreutils" "gnugrep" "util-linux" "minio" "minio-client" "bun" "chromium" ];
in builtins.listToAttrs (map (n: { name = n; value = { pname = n; }; }) names) // {
  callPackage = path: args: { pname = "pinned-bun"; };
  writeShellApplication = a: { inherit (a) name; runtimeInputs = map (p: p.pname) a.runtimeInputs; };
  writeShellScriptBin = name: text: { inherit name; };
  symlinkJoin = a: { inherit (a) name; paths = map (p: p.name) a.paths; };
  mkShell = a: { packages = map (p: p.pname) a.packages; };
}`;
const STUB_LIB = `{
  mapAttrs = builtins.mapAttrs;
  genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
  escapeShellArgs = xs: builtins.concatStringsSep " " xs;
}`;

function evalJson<T>(expr: string): T {
  const r = nixInstantiate(["--eval", "--strict", "--json", "--expr", expr]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
}

function nixInstantiate(args: readonly string[]): { code: number; stdout: string; stderr: string } {
  const bin = requireBinary("nix-instantiate", "nix-bin");
  const r = Bun.spawnSync([bin, ...args], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("flake.nix", () => {
  const flake = readFileSync(join(REPO, "flake.nix"), "utf8");

  test("nix-instantiate --parse accepts it", () => {
    const r = nixInstantiate(["--parse", "flake.nix"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("apps server, bun-client, archiver and test each point at a file of this repo", () => {
    const r = nixInstantiate(["--eval", "--strict", "--json", "deploy/nix/apps.nix"]);
    expect(r.code, r.stderr).toBe(0);
    const apps = JSON.parse(r.stdout) as Record<string, App>;
    expect(Object.keys(apps).sort()).toEqual(["archiver", "bun-client", "server", "test"]);
    const bins = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { bin: Record<string, string> }).bin;
    expect(apps["server"]?.program).toBe(bins["sync-server"]!);
    expect(apps["bun-client"]?.program).toBe(bins["sync-client"]!);
    expect(apps["archiver"]?.program).toBe(bins["sync-archiver"]!);
    // `nix run .#test` is the README's test command.
    expect([apps["test"]?.program, ...(apps["test"]?.args ?? [])].join(" ")).toBe("dev test");
    expect(readFileSync(join(REPO, "README.md"), "utf8")).toContain("./dev test");
    accessSync(join(REPO, "dev"), constants.X_OK);
    for (const app of Object.values(apps)) accessSync(join(REPO, app.program), constants.R_OK);
  });

  test("the flake builds its apps, packages and dev shell from that table and runner", () => {
    expect(flake).toContain("import ./deploy/nix/apps.nix");
    expect(flake).toContain("${./deploy/nix/run-app.sh}");
    accessSync(join(REPO, "deploy/nix/run-app.sh"), constants.X_OK);
    expect(flake).toMatch(/apps = lib\.mapAttrs/);
    expect(flake).toMatch(/default = pkgs\.symlinkJoin/);
    const shell = /devShells\.default = pkgs\.mkShell \{([\s\S]*?)\n\s*\};/.exec(flake)?.[1] ?? "";
    expect(shell).toContain("minio minio-client");
    for (const tool of ["bun", "nats-server"]) expect(flake).toMatch(new RegExp(`runtimeTools = with pkgs; \\[[^\\]]*\\b${tool}\\b`));
  });

  test("the runner runs an app's program from the checkout, and refuses a directory that is not one", () => {
    const ok = Bun.spawnSync([join(REPO, "deploy/nix/run-app.sh"), "packages/sync-server/src/main.ts", "--help"], {
      cwd: REPO,
      env: { ...process.env, KUZU_SYNC_ROOT: "" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(ok.exitCode, ok.stderr.toString()).toBe(0);
    expect(ok.stdout.toString()).toStartWith("Usage: sync-server");
    const bad = Bun.spawnSync([join(REPO, "deploy/nix/run-app.sh"), "packages/sync-server/src/main.ts"], { cwd: join(REPO, "docs"), stdout: "pipe", stderr: "pipe" });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("is not a kuzu-sync checkout");
  });

  test("inputs are pinned: nixpkgs by a full revision, nothing else; the Bun it runs is the project's 1.4.5", () => {
    const inputs = evalJson<Record<string, { url: string }>>(`(import ${join(REPO, "flake.nix")}).inputs`);
    expect(Object.keys(inputs)).toEqual(["nixpkgs"]);
    expect(inputs["nixpkgs"]?.url).toMatch(/^github:NixOS\/nixpkgs\/[0-9a-f]{40}$/);
    const pinned = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { packageManager: string }).packageManager.replace(/^bun@/, "");
    for (const [system, arch] of [["x86_64-linux", "x64"], ["aarch64-linux", "aarch64"]] as const) {
      const bun = evalJson<{ version: string; sourceRoot: string; src: { url: string; hash: string } }>(
        `import ${join(REPO, "deploy/nix/bun.nix")} { bun = { overrideAttrs = f: f { }; }; fetchurl = x: x; stdenvNoCC = { hostPlatform.system = "${system}"; }; }`,
      );
      expect(bun.version).toBe(pinned);
      expect(bun.src.url).toBe(`https://registry.npmjs.org/@oven/bun-linux-${arch}/-/bun-linux-${arch}-${pinned}.tgz`);
      expect(bun.src.hash).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    }
    // Older Nix needs the experimental features named on the command line; the docs say how.
    expect(flake).toContain("--extra-experimental-features 'nix-command flakes'");
    expect(readFileSync(join(REPO, "docs/OPERATIONS.md"), "utf8")).toContain("--extra-experimental-features 'nix-command flakes'");
  });

  test("each app's PATH holds what it runs and no more; the default package leaves the test runner out", () => {
    const dir = mkdtempSync(join(tmpdir(), "nix-stub-"));
    try {
      writeFileSync(join(dir, "default.nix"), STUB_NIXPKGS);
      const outputs = evalJson<Record<string, Record<string, { runtimeInputs?: string[]; paths?: string[] }>>>(
        `builtins.mapAttrs (system: ps: builtins.mapAttrs (n: p: { runtimeInputs = p.runtimeInputs or null; paths = p.paths or null; }) ps)
          ((import ${join(REPO, "flake.nix")}).outputs { self = { }; nixpkgs = { lib = ${STUB_LIB}; outPath = ${dir}; }; }).packages`,
      );
      expect(Object.keys(outputs).sort()).toEqual(["aarch64-linux", "x86_64-linux"]);
      const packages = outputs["x86_64-linux"]!;
      for (const app of ["server", "bun-client", "archiver"]) {
        expect({ app, tools: packages[app]?.runtimeInputs }).toEqual({ app, tools: ["pinned-bun", "bash", "coreutils", "gnugrep"] });
      }
      expect(packages["test"]?.runtimeInputs).toEqual(expect.arrayContaining(["pinned-bun", "nats-server", "tmux", "docker-compose", "nix", "wget", "util-linux", "chromium"]));
      expect(packages["default"]?.paths).toEqual(["sync-server", "sync-client", "sync-archiver"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
