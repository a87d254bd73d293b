#!/usr/bin/env bash
# Throughput and server CPU per callback, side by side in one run: ParcelGate's durable path on SQLite and/or
# PostgreSQL, and the bare HMAC-checking baseline route (`parcelgate baseline`). Release build, loopback only.
#   scripts/bench.sh                              # SQLite gateway, then the baseline
#   DATABASE=postgres scripts/bench.sh            # a throwaway PostgreSQL (fsync and synchronous_commit on)
#   DATABASE=both REPLICAS=2 scripts/bench.sh     # SQLite, one PG replica, two PG replicas on one database
#   DURABILITY=full CONNECTIONS=64 DURATION=10 scripts/bench.sh
# Server CPU is read from /proc over each measured window (`parcelgate bench`, ProcessCPU): the gateway
# processes, plus PostgreSQL's postmaster and all its backends for the PostgreSQL rows. Compare the CPU per
# callback and the ratios: this VM's speed drifts 2x between runs, requests/s with it.
set -euo pipefail
cd "$(dirname "$0")/.."
connections="${CONNECTIONS:-64}"
duration="${DURATION:-10}"
durability="${DURABILITY:-normal}"
database="${DATABASE:-sqlite}"
replicas="${REPLICAS:-1}"
port="${PORT:-18080}"
pg_port="${PG_PORT:-54399}"

case "$database" in sqlite|postgres|both) ;; *) echo "DATABASE must be sqlite, postgres or both" >&2; exit 64 ;; esac
case "$replicas" in 1|2) ;; *) echo "REPLICAS must be 1 or 2" >&2; exit 64 ;; esac

scratch="${SCRATCH_PATH:-.build}"
swift build -c release --product parcelgate --scratch-path "$scratch" >&2
bin="$scratch/release/parcelgate"
work=$(mktemp -d)
cleanup() {
    kill $(jobs -p) 2>/dev/null || true
    wait 2>/dev/null || true
    [ -n "${PARCELGATE_TEST_POSTGRES_DATA:-}" ] && scripts/stop-test-postgres.sh
    rm -rf "$work"
}
trap cleanup EXIT

wait_ready() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "no answer at $1" >&2; exit 1; }

# One measured run: NAME, then `parcelgate bench` arguments; its table goes to the terminal and its figures to the summary.
measure() {
    local name="$1"; shift
    echo
    echo "== $name"
    "$bin" bench --connections "$connections" --duration "$duration" "$@" | tee "$work/out"
    local rate p99 cpu
    rate=$(awk '$1 == "requests/s" {print $2}' "$work/out")
    p99=$(awk '$1 == "p99" {print $2}' "$work/out")
    cpu=$(awk '$1 == "server" && $2 == "CPU" && $3 == "µs/request" {print $4}' "$work/out")
    printf "%s\t%s\t%s\t%s\n" "$name" "$rate" "$p99" "$cpu" >> "$work/summary"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr); $connections connections, $duration s per run"

if [ "$database" != postgres ]; then
    PARCELGATE_LOG_LEVEL=warning "$bin" serve --database "$work/bench.sqlite" --port "$port" --durability "$durability" > /dev/null 2> "$work/serve.err" &
    wait_ready "http://127.0.0.1:$port/healthz"
    measure "sqlite, durability=$durability" --url "http://127.0.0.1:$port"
    kill %1; wait %1 2>/dev/null || true
fi

if [ "$database" != sqlite ]; then
    eval "$(PARCELGATE_TEST_POSTGRES_PORT=$pg_port PARCELGATE_TEST_POSTGRES_DURABLE=1 scripts/start-test-postgres.sh)"
    postmaster=$(head -n 1 "$PARCELGATE_TEST_POSTGRES_DATA/postmaster.pid")
    pg="$PARCELGATE_TEST_POSTGRES_URL"
    for count in $(seq 1 "$replicas"); do
        urls=()
        for replica in $(seq 1 "$count"); do
            p=$((port + 10 * count + replica))
            PARCELGATE_LOG_LEVEL=warning "$bin" serve --database "$pg" --port "$p" > /dev/null 2> "$work/serve-pg-$count-$replica.err" &
            wait_ready "http://127.0.0.1:$p/healthz"
            urls+=(--url "http://127.0.0.1:$p")
        done
        # The gateways are found by their listening ports; PostgreSQL is measured as a whole tree.
        measure "postgres, $count replica(s), gateways + PostgreSQL" "${urls[@]}" --server-tree "$postmaster"
        kill $(jobs -p) 2>/dev/null || true
        wait 2>/dev/null || true
    done
fi

"$bin" baseline --port $((port + 1)) > /dev/null 2>&1 &
wait_ready "http://127.0.0.1:$((port + 1))/"
measure "baseline: bare Hummingbird HMAC route" --url "http://127.0.0.1:$((port + 1))" --no-setup

echo
echo "== Summary (server CPU per request: the gateway processes, plus PostgreSQL for its rows)"
base_rate=$(awk -F'\t' '$1 ~ /^baseline/ {print $2}' "$work/summary")
base_cpu=$(awk -F'\t' '$1 ~ /^baseline/ {print $4}' "$work/summary")
printf "%-52s %10s %10s %14s %12s %12s\n" target "req/s" p99 "cpu µs/req" "req/s ratio" "cpu ratio"
while IFS=$'\t' read -r name rate p99 cpu; do
    printf "%-52s %10s %10s %14s %12s %12s\n" "$name" "$rate" "$p99 ms" "$cpu" \
        "$(awk -v a="$rate" -v b="$base_rate" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')" \
        "$(awk -v a="$cpu" -v b="$base_cpu" 'BEGIN { if (b > 0 && a != "") printf "%.2fx", a / b; else print "-" }')"
done < "$work/summary"
