import ParcelGateFuzzing

/// libFuzzer's entry for target `adapters`: the body is `FuzzAdapters.run`, which the regression test also replays.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzAdapters.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
