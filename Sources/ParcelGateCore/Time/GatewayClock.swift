#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the gateway gets "now". Injected everywhere time matters, so tests never sleep for a backoff
/// or a signature tolerance.
package protocol GatewayClock: Sendable {
    func now() -> Timestamp
}

/// The machine's wall clock.
package struct SystemClock: GatewayClock {
    package init() {}

    package func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }
}
