# The flake's apps (`nix run .#<name>`): each runs one file of the kuzu-sync checkout with fixed
# leading arguments, through deploy/nix/run-app.sh, with only the tools it runs on its PATH (so
# `nix run .#server` does not fetch docker-compose or Nix itself). Tools are nixpkgs attribute
# names; "bun" is the pinned Bun of bun.nix. Plain data, so tests/deploy-nix.test.ts evaluates it
# with nix-instantiate and checks every program exists.
let
  # What run-app.sh itself needs: bash runs it, grep checks the checkout, bun installs and runs.
  runner = [ "bun" "bash" "coreutils" "gnugrep" ];
in
{
  server = {
    program = "packages/sync-server/src/main.ts";
    args = [ ];
    tools = runner;
    description = "sync-server, the gateway (flags: --help)";
  };
  bun-client = {
    program = "packages/client/src/cli.ts";
    args = [ ];
    tools = runner;
    description = "sync-client, the terminal client (CLI)";
  };
  archiver = {
    program = "packages/archiver/src/main.ts";
    args = [ ];
    tools = runner;
    description = "sync-archiver (run --older-than 30d, list, verify, restore)";
  };
  test = {
    program = "dev";
    args = [ "test" ];
    # The tests start nats-server, drive a terminal through tmux (setsid from util-linux), check
    # docker-compose.yml (docker-compose) and flake.nix (nix-instantiate), run the nats healthcheck
    # (wget), and open pages in a headless chromium.
    tools = runner ++ [ "nats-server" "tmux" "util-linux" "docker-compose" "nix" "wget" "chromium" ];
    description = "the README test command: ./dev test (typecheck and every test)";
  };
}
