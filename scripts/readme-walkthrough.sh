#!/usr/bin/env bash
# Runs the README's walkthrough block as written against a fresh `parcelgate serve` (demo config,
# default port) and checks that it ends with the fulfillment DELIVERED and four tracking events.
set -euo pipefail
cd "$(dirname "$0")/.."

workdir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$workdir"' EXIT

swift build --product parcelgate
PARCELGATE_DATABASE="$workdir/walkthrough.sqlite" .build/debug/parcelgate serve > "$workdir/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    curl -sf http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break
    sleep 0.1
done

# The block between the walkthrough markers in README.md, exactly as a reader would paste it.
sed -n '/<!-- walkthrough:start -->/,/<!-- walkthrough:end -->/p' README.md | sed '1,2d;$d' | sed '$d' > "$workdir/walkthrough.sh"
bash "$workdir/walkthrough.sh" | tee "$workdir/output.txt"

final=$(curl -s http://127.0.0.1:8080/v1/fulfillments/ful-1001 -H "Authorization: Bearer demo-api-key-change-me-0001")
python3 - "$final" <<'PY'
import json, sys
f = json.loads(sys.argv[1])
events = f["tracking_events"]
assert f["status"] == "DELIVERED", f
assert len(events) == 4, events
print(f"walkthrough: fulfillment {f['id']} is {f['status']} with {len(events)} tracking events")
PY
