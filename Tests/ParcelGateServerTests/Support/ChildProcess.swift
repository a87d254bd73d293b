import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process for the tests, started with `posix_spawn`: the part of Foundation's `Process` they use
/// (same names), without its crash.
///
/// On Linux, Foundation's `Process.run()` emulates close-on-exec by adding one close action for every
/// descriptor number up to the highest one open. With about 1,360 descriptors open in the test process (the
/// whole suite runs in parallel: servers, pools, SQLite files), it crashed inside `run()` (a `memcpy` past a
/// buffer) in two CI runs. Here the child gets its three standard streams and nothing else, closed in one action
/// by glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; Swift's Glibc module does not declare
/// it, so it is looked up at run time). The child's exit is collected by `waitpid` on a thread of its own.
final class ChildProcess: @unchecked Sendable {
    enum TerminationReason: Equatable { case exit, uncaughtSignal }

    var executableURL: URL?
    var arguments: [String] = []
    /// `nil`: this process's environment.
    var environment: [String: String]?
    /// `nil` or `FileHandle.nullDevice`: /dev/null; a `Pipe`: its write end; a `FileHandle`: its descriptor.
    var standardOutput: Any?
    var standardError: Any?

    private let condition = NSCondition()
    private var pid: pid_t = 0
    /// The raw `waitpid` status, once the child has exited.
    private var status: Int32?

    var processIdentifier: Int32 {
        condition.lock()
        defer { condition.unlock() }
        return pid
    }

    var isRunning: Bool {
        condition.lock()
        defer { condition.unlock() }
        return pid != 0 && status == nil
    }

    func waitUntilExit() {
        condition.lock()
        while status == nil { condition.wait() }
        condition.unlock()
    }

    /// Waits for the exit.
    var terminationReason: TerminationReason {
        (exitStatus & 0x7f) == 0 ? .exit : .uncaughtSignal
    }

    /// The exit code, or the signal that ended it. Waits for the exit.
    var terminationStatus: Int32 {
        let raw = exitStatus
        return (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : raw & 0x7f
    }

    private var exitStatus: Int32 {
        waitUntilExit()
        condition.lock()
        defer { condition.unlock() }
        return status ?? 0
    }

    /// SIGTERM.
    func terminate() {
        let pid = processIdentifier
        if pid > 0 { kill(pid, SIGTERM) }
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    func run() throws {
        guard let executable = executableURL?.path else { throw SpawnError(description: "no executable") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var opened: [Int32] = []
        defer { for fd in opened { close(fd) } }
        func descriptor(for stream: Any?) throws -> Int32 {
            switch stream {
            case let pipe as Pipe:
                return pipe.fileHandleForWriting.fileDescriptor
            case let handle as FileHandle where handle !== FileHandle.nullDevice && handle.fileDescriptor >= 0:
                return handle.fileDescriptor
            default:
                let fd = open("/dev/null", O_RDWR | O_CLOEXEC)
                guard fd >= 0 else { throw SpawnError(description: "cannot open /dev/null: errno \(errno)") }
                opened.append(fd)
                return fd
            }
        }
        let null = try descriptor(for: nil)
        posix_spawn_file_actions_adddup2(&actions, null, STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, try descriptor(for: standardOutput), STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, try descriptor(for: standardError), STDERR_FILENO)
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let environment = (self.environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in environment { free(pointer) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, argv, environment)
        guard result == 0 else { throw SpawnError(description: "posix_spawn \(executable): errno \(result)") }
        // The parent's copies of the write ends: the reader sees the end of the output when the child exits.
        for stream in [standardOutput, standardError] {
            if let pipe = stream as? Pipe { try? pipe.fileHandleForWriting.close() }
        }
        condition.lock()
        pid = child
        condition.unlock()
        Thread.detachNewThread { [self, child] in
            var raw: Int32 = 0
            while waitpid(child, &raw, 0) == -1 && errno == EINTR {}
            condition.lock()
            status = raw
            condition.broadcast()
            condition.unlock()
        }
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np`, when this glibc has it.
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()
}
