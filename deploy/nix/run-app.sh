#!/usr/bin/env bash
# Runs one kuzu-sync app from a checkout: run-app.sh <program> [args...]
#   <program> is a path inside the repo: a .ts file runs with bun, anything else is executed.
# The checkout is KUZU_SYNC_ROOT, else the current directory. Dependencies (kuzu's native addon
# included) come from npm through `bun install --frozen-lockfile` on first use, as with ./dev.
set -euo pipefail
program=${1:?usage: run-app.sh <program> [args...]}
shift
root=${KUZU_SYNC_ROOT:-$PWD}
if ! grep -qs '"name": "kuzu-sync"' "$root/package.json"; then
  echo "kuzu-sync: $root is not a kuzu-sync checkout; run from the repository root or set KUZU_SYNC_ROOT" >&2
  exit 2
fi
cd "$root"
if [ ! -d node_modules/.bun ] || [ bun.lock -nt node_modules/.bun ]; then
  bun install --frozen-lockfile >&2
fi
case "$program" in
  *.ts) exec bun "$program" "$@" ;;
  *) exec "./$program" "$@" ;;
esac
