#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the tests (initdb and pg_ctl as the postgres
# user, no systemd) and prints the URL to export as PARCELGATE_TEST_POSTGRES_URL.
#   eval "$(scripts/start-test-postgres.sh)"      # sets PARCELGATE_TEST_POSTGRES_URL and PARCELGATE_TEST_POSTGRES_DATA
#   scripts/stop-test-postgres.sh                  # stops it
# Needs Debian's postgresql package (apt-get install -y postgresql).
set -euo pipefail
port="${PARCELGATE_TEST_POSTGRES_PORT:-54329}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found: apt-get install -y postgresql" >&2; exit 1; }
base=$(mktemp -d /tmp/parcelgate-pg.XXXXXX)
chmod 755 "$base"
data="$base/data"
mkdir -p "$data"
chown postgres:postgres "$data"
runuser -u postgres -- "$bin/initdb" -D "$data" -A trust -U postgres --no-sync >/dev/null
# fsync off: a test server's data is thrown away, and the tests measure behaviour, not durability. A benchmark
# sets PARCELGATE_TEST_POSTGRES_DURABLE=1 for PostgreSQL's defaults (fsync, synchronous_commit on).
durability="-c fsync=off -c synchronous_commit=off"
extra="${PARCELGATE_TEST_POSTGRES_OPTIONS:-}"
[ "${PARCELGATE_TEST_POSTGRES_DURABLE:-0}" = 1 ] && durability=""
runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -o \
    "-p $port -k $data -c listen_addresses=127.0.0.1 $durability -c max_connections=300 $extra" start >/dev/null
echo "export PARCELGATE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
echo "export PARCELGATE_TEST_POSTGRES_DATA=$data"
