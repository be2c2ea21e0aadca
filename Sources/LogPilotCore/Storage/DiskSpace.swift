#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Free and total bytes of the filesystem that holds a file (`statvfs` of its directory).
public enum DiskSpace {
    /// `free` counts what unprivileged users may still write (`f_bavail`), as the server is one.
    public static func volume(containing path: String) -> (free: Int64, total: Int64)? {
        var directory = path
        if let slash = directory.lastIndex(of: "/") {
            directory = String(directory[..<slash])
            if directory.isEmpty { directory = "/" }
        } else {
            directory = "."
        }
        var stats = statvfs()
        guard statvfs(directory, &stats) == 0 else { return nil }
        return (Int64(stats.f_bavail) * Int64(stats.f_frsize), Int64(stats.f_blocks) * Int64(stats.f_frsize))
    }
}
