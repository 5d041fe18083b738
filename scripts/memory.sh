#!/usr/bin/env bash
# Measures smegraph's resident memory (VmRSS, VmHWM from /proc/PID/status) idle and under load:
# it starts smegraph on a fresh embedded database in a temporary directory (loopback only),
# optionally adds synthetic agencies (scripts/synthetic, one bulk write that the server picks up
# through its change feed), waits until the server's snapshot lists them all, then drives one
# query with hey (CLIENTS concurrent clients for SECONDS s) while sampling VmRSS every 0.2 s.
#
# Usage: scripts/memory.sh [EXTRA_AGENCIES] [SECONDS] [CLIENTS]      (defaults: 0 30 8)
# Environment:
#   QUERY_FILE=FILE  the GraphQL query to drive (default: the nested dashboard query below)
#   SMEGRAPH_BIN=BIN a smegraph binary to measure (default: go build of this checkout)
#   EXTERNAL=1       measure a second smegraph process that reaches the first one's embedded
#                    database through MONGODB_URI: its memory leaves out FerretDB and SQLite,
#                    which the default (one process with the embedded database) includes
#   GOGC, GOMEMLIMIT passed to the measured process (smegraph sets GOGC=400 when unset)
set -euo pipefail
cd "$(dirname "$0")/.."
extra=${1:-0}; secs=${2:-30}; clients=${3:-8}
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
hey=$(command -v hey || echo "${GOBIN:-$HOME/go/bin}/hey")
[ -x "$hey" ] || { echo "hey not found: go install github.com/rakyll/hey@latest" >&2; exit 1; }
bin=${SMEGRAPH_BIN:-}
if [ -z "$bin" ]; then bin=$work/smegraph; go build -o "$bin" .; fi
go build -o "$work/synthetic" ./scripts/synthetic
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
answers() { curl -sf -o /dev/null -H 'content-type: application/json' -d '{"query":"{__typename}"}' "$1"; }
waitfor() { for _ in $(seq 240); do answers "$1" && return 0; sleep 0.25; done; echo "no answer from $1" >&2; return 1; }
status() { awk -v k="$2" '$1 == k":" {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# The process holding the embedded database.
pa=$(freeport)
env -u MONGODB_URI -u SMEGRAPH_ADDR -u SMEGRAPH_DATA_DIR "$bin" --addr 127.0.0.1:$pa --data-dir "$work/data" 2>"$work/a.log" & pida=$!; pids+=($pida)
uri=
for _ in $(seq 240); do
  uri=$(grep -o 'embedded database started.* uri=[^ ]*' "$work/a.log" | sed 's/.* uri=//; s/"//g' || true)
  [ -n "$uri" ] && break; kill -0 $pida 2>/dev/null || { cat "$work/a.log" >&2; exit 1; }; sleep 0.25
done
[ -n "$uri" ] || { echo "smegraph logged no embedded database URI" >&2; exit 1; }
waitfor http://127.0.0.1:$pa/graphql
pid=$pida; port=$pa; what="one process, embedded FerretDB included"
if [ "${EXTERNAL:-0}" = 1 ]; then
  pb=$(freeport)
  env -u SMEGRAPH_ADDR -u SMEGRAPH_DATA_DIR MONGODB_URI="$uri" "$bin" --addr 127.0.0.1:$pb 2>"$work/b.log" & pid=$!; pids+=($pid)
  port=$pb; what="a second process on the first one's database (MONGODB_URI): FerretDB not included"
  waitfor http://127.0.0.1:$pb/graphql
fi
url=http://127.0.0.1:$port/graphql
log=$work/a.log; [ "$pid" = "$pida" ] || log=$work/b.log
if [ "$extra" -gt 0 ]; then MONGODB_URI="$uri" "$work/synthetic" -n "$extra"; fi
want=$((18 + extra)); n=0
for _ in $(seq 600); do
  n=$(curl -s -H 'content-type: application/json' -d '{"query":"{ agencies(first: 1) { totalCount } }"}' "$url" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["agencies"]["totalCount"])' 2>/dev/null || echo 0)
  [ "$n" -ge "$want" ] && break; sleep 0.25
done
[ "$n" -ge "$want" ] || { echo "the server lists $n agencies, not $want" >&2; exit 1; }

query_file=${QUERY_FILE:-}
if [ -z "$query_file" ]; then
  query_file=$work/query.graphql
  cat > "$query_file" <<'Q'
{ groupings(first: 100) { totalCount nodes { slug name kind members { code name agencies { name url country { name } } groupings { name } hostedMeetings { number city decisions { title meeting { city } } } } } } }
Q
fi
python3 -c "import json,sys; print(json.dumps({'query': open(sys.argv[1]).read()}))" "$query_file" > "$work/body.json"
curl -s -H 'content-type: application/json' --data-binary @"$work/body.json" "$url" > "$work/answer.json"
python3 - "$work/answer.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
if a.get("errors") or not a.get("data"): sys.exit(f"the query failed: {str(a)[:300]}")
print(f"answer: {len(json.dumps(a))} bytes, no errors")
PY
sleep 1
l0=$(wc -l < "$log")
idle_rss=$(status $pid VmRSS); idle_hwm=$(status $pid VmHWM)

"$hey" -z "${secs}s" -c "$clients" -m POST -T application/json -D "$work/body.json" "$url" > "$work/hey.out" 2>&1 & heypid=$!; pids+=($heypid)
peak=0; samples=0; sum=0
while kill -0 $heypid 2>/dev/null; do
  r=$(awk '$1 == "VmRSS:" {print $2}' /proc/$pid/status)
  samples=$((samples + 1)); sum=$((sum + r)); [ "$r" -gt "$peak" ] && peak=$r
  sleep 0.2
done
wait $heypid || true
# smegraph logs every request's outcome: a 200 may carry GraphQL errors (e.g. its request timeout).
outcomes=$(tail -n +$((l0 + 1)) "$log" | grep 'path=/graphql' | grep -o 'outcome=[a-z_]*' | sort | uniq -c | awk '{printf "%s %s; ", $2, $1}')
end_rss=$(status $pid VmRSS); end_hwm=$(status $pid VmHWM)
rps=$(awk '/Requests\/sec/ {printf "%.1f", $2}' "$work/hey.out")
p50=$(awk '/ 50%/ {print $3 * 1000}' "$work/hey.out"); p99=$(awk '/ 99%/ {print $3 * 1000}' "$work/hey.out")
# hey prints no 99% line for under 100 requests: the slowest one stands in.
[ -n "$p99" ] || p99="$(awk '/Slowest/ {print $2 * 1000}' "$work/hey.out") (slowest)"
codes=$(sed -n '/Status code distribution/,/^$/p' "$work/hey.out" | grep '\[' | tr -s ' \t' ' ' | tr '\n' ';')
errs=$(sed -n '/Error distribution/,$p' "$work/hey.out" | grep '\[' | head -3 | tr -s ' ' | tr '\n' ';' || true)
gcinfo=$(curl -s http://127.0.0.1:$port/metrics | awk '/^go_memstats_heap_inuse_bytes |^go_memstats_sys_bytes / {printf "%s %.1f MB, ", $1, $2 / 1048576} /^go_gc_gogc_percent / {printf "GOGC %s, ", $2}')

echo "smegraph memory: $((18 + extra)) agencies ($extra synthetic); $what; GOGC=${GOGC:-unset (400)}"
echo "load: hey -z ${secs}s -c $clients, $(basename "$query_file"): $rps requests/s, p50 ${p50} ms, p99 ${p99} ms; status codes: ${codes:-none}${errs:+ errors: $errs}"
echo "smegraph's log, requests under load: ${outcomes:-none logged}"
echo "| measure | MB |"
echo "|---|---:|"
echo "| VmRSS idle, after loading | $idle_rss |"
echo "| VmHWM idle (peak so far, includes start and load) | $idle_hwm |"
echo "| VmRSS under load: peak of $samples samples every 0.2 s | $(awk -v k=$peak 'BEGIN {printf "%.1f", k / 1024}') |"
echo "| VmRSS under load: mean of the samples | $(awk -v s=$sum -v n=$samples 'BEGIN {printf "%.1f", n ? s / n / 1024 : 0}') |"
echo "| VmRSS at the end | $end_rss |"
echo "| VmHWM at the end (peak over the process's life) | $end_hwm |"
[ -n "$gcinfo" ] && echo "metrics at the end: $gcinfo"
exit 0
