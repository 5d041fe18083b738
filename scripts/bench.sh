#!/usr/bin/env bash
# Benchmarks smegraph on generated data and prints a Markdown table (see BENCHMARKS.md).
# Usage: scripts/bench.sh [AGENCIES] [CLIENTS] [DURATION]   e.g. scripts/bench.sh 10000 4 10s
# With MONGODB_URI set it measures that server instead of the embedded database.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./scripts/bench -agencies "${1:-10000}" -clients "${2:-4}" -duration "${3:-10s}"
