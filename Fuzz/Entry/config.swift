import ParcelGateFuzzingConfig

/// libFuzzer's entry for target `config`: the body is `FuzzConfig.run`, which the regression test also replays.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzConfig.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
