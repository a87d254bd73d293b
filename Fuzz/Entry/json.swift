import ParcelGateFuzzing

/// libFuzzer's entry for target `json`: the body is `FuzzJSON.run`, which the regression test also replays.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzJSON.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
