/// The fuzz targets by name: the names of `Fuzz/corpus/<name>/`, `Fuzz/regressions/<name>/` and the
/// libFuzzer binaries `scripts/fuzz.sh` builds (`Fuzz/Entry/<name>.swift` calls the same function).
///
/// One table, so the regression test replays every target the fuzzers run and a new target cannot be
/// left out of the replay.
package enum FuzzTargets {
    /// What a target does with one input. It must return for every input: a trap is a finding.
    package typealias Body = @Sendable (UnsafeRawBufferPointer) -> Void

    package static let all: [(name: String, body: Body)] = [
        ("signatures", { FuzzSignatures.run($0) }),
        ("json", { FuzzJSON.run($0) }),
        ("adapters", { FuzzAdapters.run($0) }),
        ("iso8601", { FuzzISO8601.run($0) }),
    ]
}

extension UnsafeRawBufferPointer {
    /// The bytes as a typed buffer, so the parsers take their contiguous fast path without a copy.
    var uint8: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: baseAddress?.assumingMemoryBound(to: UInt8.self), count: count)
    }
}
