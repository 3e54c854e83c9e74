# The flake's apps (`nix run .#<name>`): each runs one file of the kuzu-sync checkout with fixed
# leading arguments, through deploy/nix/run-app.sh. Plain data, so tests/deploy-nix.test.ts
# evaluates it with nix-instantiate and checks every program exists.
{
  server = {
    program = "packages/sync-server/src/main.ts";
    args = [ ];
    description = "sync-server, the gateway (flags: --help)";
  };
  bun-client = {
    program = "packages/client/src/cli.ts";
    args = [ ];
    description = "sync-client, the terminal client (CLI)";
  };
  archiver = {
    program = "packages/archiver/src/main.ts";
    args = [ ];
    description = "sync-archiver (run --older-than 30d, list, verify, restore)";
  };
  test = {
    program = "dev";
    args = [ "test" ];
    description = "the README test command: ./dev test (typecheck and every test)";
  };
}
