#!/usr/bin/env bash
# Proves smegraph works as an Apollo Federation v2 subgraph behind a real gateway, offline:
# starts smegraph (embedded database) and a second subgraph (visits.mjs) on loopback,
# composes them with @apollo/composition, runs @graphql-hive/gateway on the supergraph, and
# sends a query that joins both. Needs node and npm (packages from the npm registry).
# Usage: scripts/federation-check
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
wait_for() { # url, what
  for _ in $(seq 1 150); do
    if curl -fs -o /dev/null -X POST -H 'content-type: application/json' -d '{"query":"{ __typename }"}' "$1"; then return 0; fi
    sleep 0.2
  done
  echo "federation-check: $2 did not start" >&2; return 1
}

cd "$here"
[ -d node_modules ] || npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null

(cd "$root" && go build -o "$work/smegraph" .)
sg_port=$(free_port); visits_port=$(free_port); gw_port=$(free_port)
"$work/smegraph" --addr "127.0.0.1:$sg_port" --data-dir "$work/data" 2>"$work/smegraph.log" &
pids+=($!)
node visits.mjs "$visits_port" &
pids+=($!)
wait_for "http://127.0.0.1:$sg_port/graphql" smegraph
wait_for "http://127.0.0.1:$visits_port/" "the visits subgraph"

node compose.mjs "smegraph=http://127.0.0.1:$sg_port/graphql" "visits=http://127.0.0.1:$visits_port/" >"$work/supergraph.graphql"
npx --no-install hive-gateway supergraph "$work/supergraph.graphql" --port "$gw_port" --host 127.0.0.1 >"$work/gateway.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$gw_port/graphql" "the gateway"

query='{"query":"{ country(code: \"PE\") { code name agencies { url } plannedVisits } visitsPlanned }"}'
got=$(curl -fs -X POST -H 'content-type: application/json' -d "$query" "http://127.0.0.1:$gw_port/graphql")
want='{"data":{"country":{"code":"PE","name":"Peru","agencies":[{"url":"http://www.produce.gob.pe/index.php/ministerio/sector-mype-e-industria"}],"plannedVisits":3},"visitsPlanned":9}}'
if [ "$got" != "$want" ]; then
  echo "federation-check: the gateway answered" >&2; echo "$got" >&2
  echo "want" >&2; echo "$want" >&2
  tail -20 "$work/gateway.log" >&2
  exit 1
fi
echo "federation-check: ok (smegraph and a second subgraph composed and queried through @graphql-hive/gateway)"
