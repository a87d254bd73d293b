#!/usr/bin/env bash
# Stops the server scripts/start-test-postgres.sh started.
set -u
[ -n "${PARCELGATE_TEST_POSTGRES_DATA:-}" ] || exit 0
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
runuser -u postgres -- "$bin/pg_ctl" -D "$PARCELGATE_TEST_POSTGRES_DATA" -m immediate stop >/dev/null 2>&1 || true
rm -rf "$(dirname "$PARCELGATE_TEST_POSTGRES_DATA")"
