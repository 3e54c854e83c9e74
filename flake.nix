{
  # kuzu-sync with Nix (Nix 2.4+; before flakes are on by default, add
  # --extra-experimental-features 'nix-command flakes' to each command):
  #   nix run .#server -- --port 8080     the gateway (sync-server)
  #   nix run .#bun-client -- --help      the CLI (sync-client)
  #   nix run .#archiver -- run --older-than 30d
  #   nix run .#test                      the README test command (./dev test)
  #   nix develop                         bun, nats-server, minio, minio-client, test tools (chromium too)
  # Apps run the checkout in the current directory (or KUZU_SYNC_ROOT): node_modules, with kuzu's
  # prebuilt native addon, is installed from npm by `bun install --frozen-lockfile` on first use
  # rather than built in the Nix store. Each app's PATH holds only what it runs (deploy/nix/apps.nix).
  #
  # Inputs are pinned here, by revision: nixpkgs to a commit of NixOS/nixpkgs (its
  # pkgs/by-name/bu/bun/package.nix, packaging Bun 1.3.3, is the recipe deploy/nix/bun.nix reuses
  # for Bun 1.4.5, which the project pins); no other input. flake.lock is not committed: it was
  # written without network access to GitHub, so its narHash could not be computed. The first
  # `nix run` / `nix flake lock` writes it for this same revision; commit it. To move nixpkgs,
  # change the revision below and run `nix flake lock`.
  description = "kuzu-sync: event-sourced, real-time sync for embedded KuzuDB replicas";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/a7573543c77332af0a2c574b4df970af5f28777e";
  };

  outputs = { self, nixpkgs }:
    let
      lib = nixpkgs.lib;
      systems = [ "x86_64-linux" "aarch64-linux" ];
      apps = import ./deploy/nix/apps.nix;

      perSystem = system:
        let
          pkgs = import nixpkgs { inherit system; };
          bun = pkgs.callPackage ./deploy/nix/bun.nix { };
          tool = name: if name == "bun" then bun else pkgs.${name};
          # Everything any app runs, for the dev shell.
          runtimeTools = with pkgs; [ bun nats-server tmux docker-compose nix wget bash coreutils gnugrep util-linux chromium ];

          runApp = name: app:
            pkgs.writeShellApplication {
              name = "kuzu-sync-${name}";
              runtimeInputs = map tool app.tools;
              text = ''
                export KUZU_SYNC_NIX=1
                exec ${./deploy/nix/run-app.sh} ${lib.escapeShellArgs ([ app.program ] ++ app.args)} "$@"
              '';
            };

          wrappers = lib.mapAttrs runApp apps;
        in
        {
          packages = wrappers // {
            # sync-server, sync-client and sync-archiver on one PATH entry (the test runner, with
            # its docker-compose and Nix, stays apart: nix run .#test).
            default = pkgs.symlinkJoin {
              name = "kuzu-sync";
              paths = [
                (pkgs.writeShellScriptBin "sync-server" ''exec ${wrappers.server}/bin/kuzu-sync-server "$@"'')
                (pkgs.writeShellScriptBin "sync-client" ''exec ${wrappers.bun-client}/bin/kuzu-sync-bun-client "$@"'')
                (pkgs.writeShellScriptBin "sync-archiver" ''exec ${wrappers.archiver}/bin/kuzu-sync-archiver "$@"'')
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
        };

      bySystem = lib.genAttrs systems perSystem;
      collect = output: lib.mapAttrs (_: outputs: outputs.${output}) bySystem;
    in
    {
      packages = collect "packages";
      apps = collect "apps";
      devShells = collect "devShells";
    };
}
