# Bun 1.4.5, the version kuzu-sync pins (package.json "packageManager", ./dev), for the flake.
# nixpkgs at the pinned revision packages Bun 1.3.3, so this reuses nixpkgs' recipe (unpack,
# autoPatchelf, install, shell completions) with the binary of the npm registry tarballs that
# `npm install -g bun@1.4.5` installs; the hashes are the registry's sha512 integrity values
# (versions["1.4.5"].dist.integrity of @oven/bun-linux-x64 and @oven/bun-linux-aarch64).
# Plain function of its inputs, so tests/deploy-nix.test.ts evaluates it with stand-ins.
{ bun, fetchurl, stdenvNoCC }:
let
  version = "1.4.5";
  tarballs = {
    x86_64-linux = {
      url = "https://registry.npmjs.org/@oven/bun-linux-x64/-/bun-linux-x64-${version}.tgz";
      hash = "sha512-IWX9BELoGHAUtMonkeSaNaZwXzRk+oDw6Mk+HBFXd3KHYIBNBsIGRupMZPcgNoDbJpLu6gAJjIoIVPZtt1aJ1g==";
    };
    aarch64-linux = {
      url = "https://registry.npmjs.org/@oven/bun-linux-aarch64/-/bun-linux-aarch64-${version}.tgz";
      hash = "sha512-4BXmsSKnjOrlGWqZV4x/oWa7AVoR+B6lCXddMzOAXBIm3t50eslg9wb66gmtW1AamEQ1l1CDvmmruysEhqOWMg==";
    };
  };
  system = stdenvNoCC.hostPlatform.system;
in
bun.overrideAttrs (old: {
  inherit version;
  src = fetchurl (tarballs.${system} or (throw "kuzu-sync: no Bun ${version} tarball pinned for ${system}"));
  # An npm tarball unpacks to package/; the executable is package/bin/bun (nixpkgs installs ./bun).
  sourceRoot = "package/bin";
})
