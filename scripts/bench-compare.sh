#!/usr/bin/env bash
# Side-by-side throughput of two commits on this machine, in alternating rounds so that the VM's drift hits
# both alike. Each round starts a gateway of each build on a fresh SQLite file and runs the same client
# (this checkout's `parcelgate bench`) against it; the server's CPU is read from /proc/<pid>/stat over the
# measured window only (after set-up and warm-up).
#   scripts/bench-compare.sh BASE_REF             # e.g. main~3; compares with this checkout
#   ROUNDS=5 DURATION=10 CONNECTIONS=64 scripts/bench-compare.sh BASE_REF
# Prints, per round and build: requests/s and server CPU per callback (µs), then the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
base_ref="${1:?usage: scripts/bench-compare.sh BASE_REF}"
rounds="${ROUNDS:-3}"
duration="${DURATION:-8}"
connections="${CONNECTIONS:-64}"

base_tree=".build-compare/base"
if [ ! -d "$base_tree" ]; then git worktree add --detach "$base_tree" "$base_ref" >&2; else git -C "$base_tree" checkout -q --detach "$base_ref"; fi
# The base is rebuilt only when its commit changed since its last build (a release build takes minutes here).
base_commit=$(git -C "$base_tree" rev-parse HEAD)
if [ ! -x "$base_tree/.build-release/release/parcelgate" ] || [ "$(cat .build-compare/base.built 2>/dev/null)" != "$base_commit" ]; then
    echo "building $base_ref (release)..." >&2
    (cd "$base_tree" && swift build -c release --product parcelgate --scratch-path .build-release >&2)
    echo "$base_commit" > .build-compare/base.built
fi
echo "building this checkout (release)..." >&2
swift build -c release --product parcelgate --scratch-path .build-release >&2
declare -A bins=([base]="$base_tree/.build-release/release/parcelgate" [head]=".build-release/release/parcelgate")
client="${bins[head]}"
hz=$(getconf CLK_TCK)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

echo "machine: $(nproc) cores; base $(git -C "$base_tree" rev-parse --short HEAD), head $(git rev-parse --short HEAD)$(git diff --quiet || echo ' + uncommitted')"
printf "%-6s %-5s %10s %14s\n" round build "req/s" "cpu µs/callback"
for round in $(seq 1 "$rounds"); do
    for build in base head; do
        port=$((18200 + round * 2 + ${#build} % 2))
        rm -f "$work"/db*
        PARCELGATE_LOG_LEVEL=warning "${bins[$build]}" serve --database "$work/db.sqlite" --port "$port" > "$work/serve.out" 2> "$work/serve.err" &
        pid=$!
        for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
        stdbuf -oL "$client" bench --url "http://127.0.0.1:$port" --connections "$connections" --duration "$duration" --warmup 2 > "$work/bench" 2>&1 &
        bench=$!
        until grep -q "measuring" "$work/bench" 2>/dev/null; do sleep 0.05; done
        t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        wait "$bench"
        t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        kill "$pid"; wait "$pid" 2>/dev/null || true
        requests=$(awk '$1 == "requests" {print $2}' "$work/bench")
        rate=$(awk '$1 == "requests/s" {print $2}' "$work/bench")
        micros=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
        printf "%-6s %-5s %10s %14s\n" "$round" "$build" "$rate" "$micros" | tee -a "$work/table"
    done
done
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for build in base head; do
    printf "%-6s %-5s %10s %14s\n" median "$build" \
        "$(awk -v b="$build" '$2 == b {print $3}' "$work/table" | median)" "$(awk -v b="$build" '$2 == b {print $4}' "$work/table" | median)"
done
