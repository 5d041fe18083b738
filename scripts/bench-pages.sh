#!/usr/bin/env bash
# Latency of agencies pages (20 by name) deep in the list, against a running smegraph binary:
# starts smegraph on a fresh embedded database in a temporary directory (loopback only), adds
# EXTRA synthetic agencies (scripts/synthetic, one bulk write the server picks up through its
# change feed), follows the cursors to each page asked for, and drives each page's request with
# hey (CLIENTS clients for SECONDS s). Prints requests/s, p50 and p99 per page.
#
# Usage: scripts/bench-pages.sh [EXTRA_AGENCIES] [SECONDS] [CLIENTS] [PAGES]
#        defaults: 3600 (100 per member country) 8 1 "1 50"
# Environment: SMEGRAPH_BIN=BIN measures that binary instead of a build of this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=${1:-3600}; secs=${2:-8}; clients=${3:-1}; pages=${4:-1 50}
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
hey=$(command -v hey || echo "${GOBIN:-$HOME/go/bin}/hey")
[ -x "$hey" ] || { echo "hey not found: go install github.com/rakyll/hey@latest" >&2; exit 1; }
bin=${SMEGRAPH_BIN:-}
if [ -z "$bin" ]; then bin=$work/smegraph; go build -o "$bin" .; fi
go build -o "$work/synthetic" ./scripts/synthetic
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port/graphql
env -u MONGODB_URI -u SMEGRAPH_ADDR -u SMEGRAPH_DATA_DIR "$bin" --addr 127.0.0.1:$port --data-dir "$work/data" 2>"$work/smegraph.log" & pid=$!; pids+=($pid)
uri=
for _ in $(seq 240); do
  uri=$(grep -o 'embedded database started.* uri=[^ ]*' "$work/smegraph.log" | sed 's/.* uri=//; s/"//g' || true)
  [ -n "$uri" ] && break; kill -0 $pid 2>/dev/null || { cat "$work/smegraph.log" >&2; exit 1; }; sleep 0.25
done
[ -n "$uri" ] || { echo "smegraph logged no embedded database URI" >&2; exit 1; }
for _ in $(seq 240); do curl -sf -o /dev/null -H 'content-type: application/json' -d '{"query":"{__typename}"}' "$url" && break; sleep 0.25; done
[ "$extra" -gt 0 ] && MONGODB_URI="$uri" "$work/synthetic" -n "$extra"

# Page k's request: the first page, or the one after page k-1's end cursor. Every page must
# come back full (20 agencies), without errors, once the snapshot holds all agencies.
python3 - "$url" $((18 + extra)) "$work" $pages <<'PY'
import json, sys, time, urllib.request
url, want, work, pages = sys.argv[1], int(sys.argv[2]), sys.argv[3], [int(p) for p in sys.argv[4:]]
def q(after):
    a = f', after: {json.dumps(after)}' if after else ''
    return '{ agencies(first: 20%s, orderBy: [{field: NAME}]) { totalCount nodes { name url country { name } } pageInfo { hasNextPage endCursor } } }' % a
def post(query):
    req = urllib.request.Request(url, json.dumps({"query": query}).encode(), {"content-type": "application/json"})
    r = json.load(urllib.request.urlopen(req, timeout=30))
    if r.get("errors"): sys.exit(f"errors: {r['errors']}")
    return r["data"]["agencies"]
for _ in range(600):
    if post(q(None))["totalCount"] >= want: break
    time.sleep(0.25)
else: sys.exit(f"the server does not list {want} agencies")
cursor, seen = None, set()
for k in range(1, max(pages) + 1):
    query = q(cursor)
    page = post(query)
    names = [n["name"] for n in page["nodes"]]
    if len(names) != 20 or seen & set(names): sys.exit(f"page {k}: {len(names)} agencies, {len(seen & set(names))} seen before")
    seen |= set(names)
    if k in pages:
        json.dump({"query": query}, open(f"{work}/page{k}.json", "w"))
        print(f"page {k}: {names[0]!r} .. {names[-1]!r}")
    cursor = page["pageInfo"]["endCursor"]
PY

echo "smegraph: $((18 + extra)) agencies ($extra synthetic); hey -z ${secs}s -c $clients per page; 20 agencies by name per page"
echo "| agencies page | requests/s | p50 ms | p99 ms | responses |"
echo "|---|---:|---:|---:|---|"
for k in $pages; do
  "$hey" -z "${secs}s" -c "$clients" -m POST -T application/json -D "$work/page$k.json" "$url" > "$work/hey$k.out" 2>&1
  awk -v k=$k '/Requests\/sec/ {rps=$2} / 50%/ {p50=$3} / 99%/ {p99=$3} /Slowest/ {slow=$2}
    /^  \[[0-9]+\]/ {codes = codes $1 " " $2 " "}
    END {if (p99 == "") p99 = slow; printf "| %d | %.1f | %.2f | %.2f | %s|\n", k, rps, p50 * 1000, p99 * 1000, codes}' "$work/hey$k.out"
done
