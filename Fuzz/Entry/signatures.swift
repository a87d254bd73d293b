import ParcelGateFuzzing

/// libFuzzer's entry for target `signatures`: the body is `FuzzSignatures.run`, which the regression test also replays.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzSignatures.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
