#!/usr/bin/env bash
# Runs the README's walkthrough as a reader would: `parcelgate listen` (the platform's receiver, port 9000)
# and a fresh `parcelgate serve` (demo config, default port), then the walkthrough block as written. Checks
# that it ends with the fulfillment DELIVERED and four tracking events, and that the receiver got the
# exception and the delivery as notifications whose signatures verified.
set -euo pipefail
cd "$(dirname "$0")/.."

# The demo secret the README starts `parcelgate listen` with (and registers in the walkthrough block).
LISTEN_SECRET=whsec_ZGVtby13ZWJob29rLXNlY3JldC1jaGFuZ2UtbWUtMDE=
# How long the notifications may take to arrive after the block ends.
NOTIFY_TIMEOUT_S=${NOTIFY_TIMEOUT_S:-15}

workdir=$(mktemp -d)
listener=
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    [ -n "$listener" ] && kill "$listener" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$workdir"
}
trap cleanup EXIT

swift build --product parcelgate

# The README's second terminal: the receiver, started first so the endpoint is up before anything is sent.
.build/debug/parcelgate listen --port 9000 --secret "$LISTEN_SECRET" > "$workdir/listen.log" 2>&1 &
listener=$!
for _ in $(seq 1 100); do
    grep -q '^parcelgate listen on ' "$workdir/listen.log" && break
    kill -0 "$listener" 2>/dev/null || { cat "$workdir/listen.log"; echo "walkthrough: parcelgate listen did not start" >&2; exit 1; }
    sleep 0.1
done
grep -q '^parcelgate listen on ' "$workdir/listen.log" || { echo "walkthrough: parcelgate listen did not start in 10 s" >&2; exit 1; }

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

# The receiver's lines, e.g. `<time> delivery.exception fulfillment=ful-1001 sequence=7 webhook-id=msg_... verified -> 204`.
arrived() { grep -Eq "^[^ ]+ $1 fulfillment=ful-1001 .* verified -> 2[0-9][0-9]\$" "$workdir/listen.log"; }
deadline=$((SECONDS + NOTIFY_TIMEOUT_S))
until arrived 'delivery\.exception' && arrived 'delivery\.confirmed'; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "--- parcelgate listen:" >&2; cat "$workdir/listen.log" >&2
        echo "--- parcelgate serve:" >&2; tail -n 40 "$workdir/serve.log" >&2
        echo "walkthrough: the exception and the delivery did not both arrive verified within ${NOTIFY_TIMEOUT_S} s" >&2
        exit 1
    fi
    sleep 0.2
done
if grep -q 'NOT VERIFIED' "$workdir/listen.log"; then
    cat "$workdir/listen.log" >&2
    echo "walkthrough: parcelgate listen got a notification whose signature did not verify" >&2
    exit 1
fi
echo "--- parcelgate listen:"
cat "$workdir/listen.log"
echo "walkthrough: parcelgate listen received delivery.exception and delivery.confirmed, signed and verified ($(grep -c ' verified -> ' "$workdir/listen.log") notifications)"
