import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CPU time of server processes on this machine, read from `/proc` (Linux): what `parcelgate bench` divides by
/// the requests it sent to report CPU per callback, a figure that survives this VM's speed drift where
/// requests/s do not.
///
/// A target is a process, or a process tree (PostgreSQL's postmaster and its backends): the root's own time,
/// the time of every live descendant, and the root's `cutime`/`cstime` (children that exited and were reaped
/// during the window). Every number read is parsed strictly; a process that vanished reads as absent.
struct ProcessCPU: Sendable {
    /// The processes measured: each a root, with or without its descendants.
    struct Target: Sendable, Hashable, CustomStringConvertible {
        let pid: Int32
        let tree: Bool
        var description: String { tree ? "\(pid) and its children" : "\(pid)" }
    }

    let targets: [Target]

    /// Clock ticks per second (`getconf CLK_TCK`).
    static let ticksPerSecond = Double(max(sysconf(Int32(_SC_CLK_TCK)), 1))

    /// Each target's CPU time in ticks now, in `targets` order; `nil` when a root is gone.
    func ticks() -> [Int64]? {
        let all = targets.contains(where: \.tree) ? Self.allStats() : [:]
        var each: [Int64] = []
        for target in targets {
            guard let root = Self.stat(target.pid) else { return nil }
            var total = root.utime + root.stime
            if target.tree {
                total += root.cutime + root.cstime
                for pid in Self.descendants(of: target.pid, in: all) {
                    if let child = all[pid] { total += child.utime + child.stime }
                }
            }
            each.append(total)
        }
        return each
    }

    /// One `/proc/<pid>/stat` line's fields we use.
    struct Stat: Sendable {
        let ppid: Int32
        let utime: Int64, stime: Int64, cutime: Int64, cstime: Int64
    }

    /// Parses `/proc/<pid>/stat`: the command name is in parentheses and may hold spaces, so the fields are
    /// counted after the last `)`.
    static func parse(_ line: String) -> Stat? {
        guard let close = line.lastIndex(of: ")") else { return nil }
        let fields = line[line.index(after: close)...].split(separator: " ")
        // After ")": state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
        guard fields.count > 14, let ppid = Int32(fields[1]), let utime = Int64(fields[11]), let stime = Int64(fields[12]),
            let cutime = Int64(fields[13]), let cstime = Int64(fields[14]), utime >= 0, stime >= 0, cutime >= 0, cstime >= 0
        else { return nil }
        return Stat(ppid: ppid, utime: utime, stime: stime, cutime: cutime, cstime: cstime)
    }

    static func stat(_ pid: Int32) -> Stat? {
        read("/proc/\(pid)/stat").flatMap(parse)
    }

    static func allStats() -> [Int32: Stat] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var stats: [Int32: Stat] = [:]
        for name in names {
            guard let pid = Int32(name), let stat = stat(pid) else { continue }
            stats[pid] = stat
        }
        return stats
    }

    static func descendants(of root: Int32, in stats: [Int32: Stat]) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        for (pid, stat) in stats { children[stat.ppid, default: []].append(pid) }
        var found: [Int32] = []
        var queue = children[root] ?? []
        while let pid = queue.popLast() {
            found.append(pid)
            queue += children[pid] ?? []
        }
        return found
    }

    /// A `/proc` file's whole text. Its size reads as 0, and the kernel hands a long table (`/proc/net/tcp` on a
    /// busy machine) over in page-sized pieces, so it is read until end of file, piece by piece.
    static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while bytes.count < 64 << 20 {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return count == 0 ? String(decoding: bytes, as: UTF8.self) : nil }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The process listening on TCP `port` on this machine: the socket's inode from `/proc/net/tcp` (and tcp6),
    /// then the process holding a descriptor to it. `nil` when none is found (another machine, or no permission).
    static func listener(port: Int) -> Int32? {
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = read(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // local_address(1) = ADDR:PORT in hex, st(3) = 0A for LISTEN, inode(9).
                guard fields.count > 9, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":"),
                    Int(fields[1][fields[1].index(after: colon)...], radix: 16) == port
                else { continue }
                inodes.insert("socket:[\(fields[9])]")
            }
        }
        guard !inodes.isEmpty else { return nil }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in names {
            guard let pid = Int32(name), let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(name)/fd") else { continue }
            for fd in fds {
                if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(name)/fd/\(fd)"), inodes.contains(link) { return pid }
            }
        }
        return nil
    }
}
