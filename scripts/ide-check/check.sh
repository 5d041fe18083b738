#!/usr/bin/env bash
# Browser test of the GraphQL IDE: starts smegraph (embedded database) on loopback, opens `/`
# in Debian's Chromium through playwright-core (no browser download), runs a query, checks
# the result on the page, saves a screenshot, and fails if the page requests anything outside
# the server. Needs chromium (apt-get install chromium), node and npm.
# Usage: scripts/ide-check/check.sh [SCREENSHOT.png]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
shot="${1:-$root/ide-check.png}"
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cd "$here"
[ -d node_modules ] || npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null
(cd "$root" && go build -o "$work/smegraph" .)
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
"$work/smegraph" --addr "127.0.0.1:$port" --data-dir "$work/data" 2>"$work/smegraph.log" &
pid=$!
for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.2; done
node ide.mjs "http://127.0.0.1:$port/" "$shot"
