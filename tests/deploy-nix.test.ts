/**
 * flake.nix without a Nix store: the real `nix-instantiate --parse` accepts it, the apps table it
 * imports evaluates (nix-instantiate --eval) to the four apps, each pointing at a file that exists,
 * and the runner they share runs a bin of this checkout.
 */
import { describe, expect, test } from "bun:test";
import { accessSync, constants, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, requireBinary } from "./support/compose.ts";

interface App {
  readonly program: string;
  readonly args: readonly string[];
  readonly description: string;
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
});
