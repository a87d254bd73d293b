#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (issue 13). The targets' bodies are Fuzz/Targets/*.swift (the
# ParcelGateFuzzing target, which `swift test` also replays over Fuzz/regressions/); each target's entry
# point is Fuzz/Entry/<target>.swift.
#
#   scripts/fuzz.sh build                  # build every target into .build-fuzz/
#   scripts/fuzz.sh run TARGET [SECONDS]   # fuzz one target (default 30 s); extra args go to libFuzzer
#   scripts/fuzz.sh ci                     # build, then every target for FUZZ_SECONDS (default 30) each
#   scripts/fuzz.sh list                   # the target names
#
# SwiftPM cannot link an executable target with -sanitize=fuzzer (it renames `main`), so the modules are
# compiled here with swiftc: ParcelGateCore, ParcelGateCarriers and ParcelGateFuzzing as instrumented
# objects, then one binary per target (its own coverage map, corpus and crash files).
#
# Seeds are Fuzz/corpus/<target>/ (committed); runs use a scratch copy, so the tree stays clean. A crash
# is written to .build-fuzz/artifacts/<target>/ and the script exits non-zero naming the file; copy it to
# Fuzz/regressions/<target>/ so `swift test` replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."

export SWIFT_BACKTRACE=enable=no   # let the sanitizer report the trap, not Swift's backtracer
build=.build-fuzz
targets=(signatures json adapters iso8601 config)

max_len() {
    case "$1" in
        signatures) echo 8192 ;;   # headers plus a body the size of the samples
        json | adapters) echo 16384 ;;   # the largest fixture is under 5 KiB
        iso8601) echo 64 ;;         # a date-time is at most ~35 characters
        config) echo 4096 ;;        # config/*.yaml are under 2 KiB
        *) echo 4096 ;;
    esac
}

# -O: about twice the executions per second of -Onone; overflow and bounds checks stay on (only
# -Ounchecked removes them). ASan adds memory checks for the C parts (libcrypto calls, CYaml).
common_flags=(-sanitize=fuzzer,address -parse-as-library -O -g -package-name parcelgate -I "$build/modules" -I Sources/COpenSSL)
swiftc_flags=("${common_flags[@]}" -enable-upcoming-feature ExistentialAny)

# Compiles one module's sources to an instrumented object and a .swiftmodule.
compile_module() {
    local name=$1; shift
    echo "fuzz: compiling $name"
    # shellcheck disable=SC2046
    swiftc "${swiftc_flags[@]}" -wmo -c -module-name "$name" \
        -emit-module -emit-module-path "$build/modules/$name.swiftmodule" \
        $(find "$@" -name '*.swift' | sort) -o "$build/objects/$name.o"
}

# Yams's checkout, for the config target: SwiftPM's, resolving the package first if no build has.
yams_checkout() {
    local scratch=${SWIFTPM_SCRATCH_PATH:-.build}
    if [ ! -d "$scratch/checkouts/Yams/Sources/CYaml" ]; then
        echo "fuzz: resolving packages for Yams's sources" >&2
        swift package resolve --scratch-path "$scratch" >&2
    fi
    echo "$scratch/checkouts/Yams"
}

# The notification rules the `notifications` config block builds (address and URL policy, circuit settings):
# plain Swift, no networking library.
config_notification_sources=(
    Sources/ParcelGateServer/Notifications/AddressPolicy.swift Sources/ParcelGateServer/Notifications/AddressRefusal.swift
    Sources/ParcelGateServer/Notifications/EndpointURLPolicy.swift Sources/ParcelGateServer/Notifications/CircuitSettings.swift
)

# Builds every target, unless nothing it is made of (sources, entries, this script) changed since the last build.
build_all() {
    mkdir -p "$build/modules" "$build/objects" "$build/objects-config" "$build/bin" "$build/generated"
    local started=$SECONDS stamp="$build/bin/.sources.sha256" sum yams
    yams=$(yams_checkout)
    sum=$({ find Sources/ParcelGateCore Sources/ParcelGateCarriers Sources/COpenSSL Sources/ParcelGateServer/Config Sources/ParcelGateServer/HTTP/ClientAddress.swift \
        "${config_notification_sources[@]}" \
        Sources/ParcelGateStore/SQLite/SQLiteDatabase.swift Fuzz/Targets Fuzz/Config Fuzz/Entry "$yams/Sources" -type f \
        | sort | xargs sha256sum; sha256sum "$0"; } | sha256sum)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
        echo "fuzz: targets up to date"
        return
    fi
    rm -f "$stamp"
    compile_module ParcelGateCore Sources/ParcelGateCore
    compile_module ParcelGateCarriers Sources/ParcelGateCarriers
    compile_module ParcelGateFuzzing Fuzz/Targets
    local target
    for target in "${targets[@]}"; do
        [ "$target" = config ] && continue
        echo "fuzz: linking $target"
        swiftc "${swiftc_flags[@]}" -use-ld=lld -module-name "fuzz_$target" Fuzz/Entry/"$target".swift \
            "$build"/objects/*.o -lcrypto -o "$build/bin/$target"
    done
    build_config "$yams"
    echo "$sum" >"$stamp"
    echo "fuzz: build done in $((SECONDS - started)) s"
}

# The config target: Yams (its C part with clang), the types GatewayConfig takes from
# ParcelGateStore (Contract/StoreTuning.swift, which depends on nothing), and only
# Sources/ParcelGateServer/Config/ (with HTTP/ClientAddress.swift, which validates `trusted_proxies`, and the
# notification policies the config builds) as ParcelGateServer, so neither Hummingbird nor PostgresNIO is compiled.
build_config() {
    local yams=$1 c
    echo "fuzz: compiling CYaml"
    for c in "$yams"/Sources/CYaml/src/*.c; do
        "$(dirname "$(command -v swiftc)")/clang" -c -O1 -g -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_STATIC -I "$yams/Sources/CYaml/include" \
            "$c" -o "$build/objects-config/cyaml_$(basename "$c" .c).o"
    done
    local config_flags=("${swiftc_flags[@]}" -I "$yams/Sources/CYaml/include" -Xcc -DYAML_DECLARE_STATIC)
    echo "fuzz: compiling Yams"
    swiftc "${common_flags[@]}" -I "$yams/Sources/CYaml/include" -Xcc -DYAML_DECLARE_STATIC -D SWIFT_PACKAGE -swift-version 5 -suppress-warnings -wmo -c -module-name Yams -emit-module -emit-module-path "$build/modules/Yams.swiftmodule" \
        "$yams"/Sources/Yams/*.swift -o "$build/objects-config/Yams.o"
    local store_types=Sources/ParcelGateStore/Contract/StoreTuning.swift
    echo "fuzz: compiling ParcelGateStore (config types only), ParcelGateServer (Config/ only), ParcelGateFuzzingConfig"
    swiftc "${config_flags[@]}" -wmo -c -module-name ParcelGateStore -emit-module -emit-module-path "$build/modules/ParcelGateStore.swiftmodule" \
        "$store_types" -o "$build/objects-config/ParcelGateStore.o"
    swiftc "${config_flags[@]}" -wmo -c -module-name ParcelGateServer -emit-module -emit-module-path "$build/modules/ParcelGateServer.swiftmodule" \
        Sources/ParcelGateServer/Config/*.swift Sources/ParcelGateServer/HTTP/ClientAddress.swift "${config_notification_sources[@]}" \
        -o "$build/objects-config/ParcelGateServer.o"
    swiftc "${config_flags[@]}" -wmo -c -module-name ParcelGateFuzzingConfig -emit-module -emit-module-path "$build/modules/ParcelGateFuzzingConfig.swiftmodule" \
        Fuzz/Config/*.swift -o "$build/objects-config/ParcelGateFuzzingConfig.o"
    echo "fuzz: linking config"
    swiftc "${config_flags[@]}" -use-ld=lld -module-name fuzz_config Fuzz/Entry/config.swift \
        "$build"/objects/ParcelGateCore.o "$build"/objects/ParcelGateCarriers.o "$build"/objects-config/*.o -lcrypto -o "$build/bin/config"
}

# Runs one target for $2 seconds; prints one summary line; returns non-zero on a crash.
run_target() {
    local target=$1 seconds=$2; shift 2
    [ -f "Fuzz/Entry/$target.swift" ] || { echo "fuzz: unknown target '$target' (known: ${targets[*]})" >&2; return 2; }
    local work="$build/work/$target" artifacts="$build/artifacts/$target" log="$build/logs/$target.log"
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    # The working corpus keeps what earlier runs learnt; the committed seeds and regressions are added to it.
    cp -n Fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
    cp -n Fuzz/regressions/"$target"/* "$work"/ 2>/dev/null || true
    local dict=()
    [ -f "Fuzz/dict/$target.dict" ] && dict=(-dict="Fuzz/dict/$target.dict")
    echo "fuzz: $target for ${seconds} s (max_len $(max_len "$target"), log $log)"
    local status=0
    "$build/bin/$target" "$work" "${dict[@]}" -max_total_time="$seconds" -max_len="$(max_len "$target")" \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" >"$log" 2>&1 || status=$?
    local execs rate cov
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' "$log" | tail -n 1)
    if [ "$status" -ne 0 ]; then
        local crash
        crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        # What failed (a Swift trap, an ASan report, a timeout or OOM) and the first frame in our sources.
        { grep -m 1 -E 'Swift runtime failure|Fatal error' "$log" || grep -m 1 -E 'ERROR: (AddressSanitizer|libFuzzer)' "$log"; } \
            | sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ in //; s| /<compiler-generated>||; s/^/fuzz:   /' >&2 || true
        grep -m 1 -E "$PWD/(Sources|Fuzz/Targets|Fuzz/Config)/" "$log" | grep -oE "$PWD/[^ ]+" \
            | sed "s|^$PWD/|fuzz:   at |" >&2 || true
        echo "fuzz: $target FAILED after ${execs:-?} runs: reproducer ${crash:-(none written, see $log)}" >&2
        echo "fuzz:   replay: $build/bin/$target ${crash:-FILE}; keep: cp ${crash:-FILE} Fuzz/regressions/$target/" >&2
        return 1
    fi
    echo "fuzz: $target ok: ${execs:-?} runs, ${rate:-?} exec/s, ${cov:-no coverage line}"
}

command=${1:-}
case "$command" in
    build) build_all ;;
    list) printf '%s\n' "${targets[@]}" ;;
    run)
        [ $# -ge 2 ] || { echo "usage: scripts/fuzz.sh run TARGET [SECONDS] [libFuzzer args...]" >&2; exit 2; }
        target=$2; seconds=${3:-30}; shift $(($# < 3 ? $# : 3))
        build_all
        run_target "$target" "$seconds" "$@"
        ;;
    ci)
        started=$SECONDS
        build_all
        failed=()
        for target in "${targets[@]}"; do
            run_target "$target" "${FUZZ_SECONDS:-30}" || failed+=("$target")
        done
        if [ ${#failed[@]} -gt 0 ]; then
            echo "fuzz: summary: ${#failed[@]} of ${#targets[@]} targets crashed (${failed[*]}) in $((SECONDS - started)) s" >&2
            exit 1
        fi
        echo "fuzz: summary: ${#targets[@]} targets, no crash, $((SECONDS - started)) s"
        ;;
    *)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
