{
  # kuzu-sync with Nix:
  #   nix run .#server -- --port 8080     the gateway (sync-server)
  #   nix run .#bun-client -- --help      the CLI (sync-client)
  #   nix run .#archiver -- run --older-than 30d
  #   nix run .#test                      the README test command (./dev test)
  #   nix develop                         bun, nats-server, minio, minio-client, test tools
  # Apps run the checkout in the current directory (or KUZU_SYNC_ROOT): node_modules, with kuzu's
  # prebuilt native addon, is installed from npm by `bun install --frozen-lockfile` on first use
  # rather than built in the Nix store. The project pins Bun 1.4.5 (package.json packageManager);
  # nixpkgs' `bun` is used as is, so pick a nixpkgs whose bun is 1.4.x.
  description = "kuzu-sync: event-sourced, real-time sync for embedded KuzuDB replicas";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    flake-utils.url = "github:numtide/flake-utils";
  };

  outputs = { self, nixpkgs, flake-utils }:
    flake-utils.lib.eachSystem [ "x86_64-linux" "aarch64-linux" ] (system:
      let
        pkgs = import nixpkgs { inherit system; };
        lib = pkgs.lib;
        apps = import ./deploy/nix/apps.nix;

        # What the apps and tests call: bun for the code; nats-server, tmux, docker-compose (compose
        # file check), nix-instantiate (flake check) and wget (nats healthcheck) for `./dev test`; setsid from util-linux.
        runtimeTools = with pkgs; [ bun nats-server tmux docker-compose nix wget bash coreutils gnugrep util-linux ];

        runApp = name: app:
          pkgs.writeShellApplication {
            name = "kuzu-sync-${name}";
            runtimeInputs = runtimeTools;
            text = ''
              export KUZU_SYNC_NIX=1
              exec ${./deploy/nix/run-app.sh} ${lib.escapeShellArgs ([ app.program ] ++ app.args)} "$@"
            '';
          };

        wrappers = lib.mapAttrs runApp apps;
      in
      {
        packages = wrappers // {
          # sync-server, sync-client, sync-archiver and kuzu-sync-test on one PATH entry.
          default = pkgs.symlinkJoin {
            name = "kuzu-sync";
            paths = [
              (pkgs.writeShellScriptBin "sync-server" ''exec ${wrappers.server}/bin/kuzu-sync-server "$@"'')
              (pkgs.writeShellScriptBin "sync-client" ''exec ${wrappers.bun-client}/bin/kuzu-sync-bun-client "$@"'')
              (pkgs.writeShellScriptBin "sync-archiver" ''exec ${wrappers.archiver}/bin/kuzu-sync-archiver "$@"'')
              (pkgs.writeShellScriptBin "kuzu-sync-test" ''exec ${wrappers.test}/bin/kuzu-sync-test "$@"'')
            ];
          };
        };

        apps = lib.mapAttrs
          (name: app: {
            type = "app";
            program = "${wrappers.${name}}/bin/kuzu-sync-${name}";
            meta.description = app.description;
          })
          apps;

        devShells.default = pkgs.mkShell {
          packages = runtimeTools ++ (with pkgs; [ minio minio-client ]);
          KUZU_SYNC_NIX = "1";
        };
      });
}
