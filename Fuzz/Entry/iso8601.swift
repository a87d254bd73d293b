import ParcelGateFuzzing

/// libFuzzer's entry for target `iso8601`: the body is `FuzzISO8601.run`, which the regression test also replays.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzISO8601.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
