#!/usr/bin/env bash
# Builds ParcelGate in release mode, starts a gateway on a temporary SQLite database, runs
# `parcelgate bench` against it, and prints the table. Then the same load against the bare
# HMAC-checking baseline route, for comparison.
#   scripts/bench.sh                          # default durability (synchronous=NORMAL)
#   DURABILITY=full scripts/bench.sh          # synchronous=FULL
#   CONNECTIONS=64 DURATION=10 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
connections="${CONNECTIONS:-64}"
duration="${DURATION:-10}"
durability="${DURABILITY:-normal}"
port="${PORT:-18080}"

scratch="${SCRATCH_PATH:-.build}"
swift build -c release --product parcelgate --scratch-path "$scratch" >&2
bin="$scratch/release/parcelgate"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

PARCELGATE_LOG_LEVEL=warning "$bin" serve --database "$work/bench.sqlite" --port "$port" --durability "$durability" > "$work/serve.out" 2> "$work/serve.err" &
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

echo "== ParcelGate, durable path (verify, normalise, dedupe, apply, commit before the 2xx), durability=$durability"
echo "   machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr)"
"$bin" bench --url "http://127.0.0.1:$port" --connections "$connections" --duration "$duration"

if [ "${BASELINE:-1}" = 1 ]; then
    "$bin" baseline --port $((port + 1)) > /dev/null 2>&1 &
    for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$((port + 1))/" 2>/dev/null && break; sleep 0.1; done
    echo
    echo "== Baseline: a bare Hummingbird route that only checks the HMAC"
    "$bin" bench --url "http://127.0.0.1:$((port + 1))" --connections "$connections" --duration "$duration" --no-setup
fi
