#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock (`flock`) on `<database>.lock`, held while the engine runs: a second LogPilot process
/// on the same database file (two replicas on one volume, a rolling update that starts the new pod before the old
/// one stopped) fails at startup with a clear message instead of writing the same file with its own id counter.
/// The kernel drops the lock when the process dies, so a crash never leaves a stale lock behind.
final class DatabaseLock {
    private var descriptor: Int32

    /// Takes the lock or throws naming the file.
    init(databasePath: String) throws(LogPilotError) {
        let path = databasePath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw LogPilotError(code: .storageFailure, message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno == EWOULDBLOCK
                ? "another LogPilot process is using \(databasePath) (it holds \(path)); one process per database file"
                : "cannot lock \(path): \(String(cString: strerror(errno)))"
            close(fd)
            throw LogPilotError(code: .storageFailure, message: reason)
        }
        descriptor = fd
    }

    /// Releases the lock (also released when the process exits).
    func release() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
    }

    deinit { release() }
}
