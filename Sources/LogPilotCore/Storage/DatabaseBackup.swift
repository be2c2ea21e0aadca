public import Foundation

/// An online, consistent copy of the database (`VACUUM INTO`, a single read transaction, so concurrent commits are
/// either wholly in the copy or not at all), checked with `PRAGMA quick_check`, into a directory that keeps the
/// newest `keep` copies. Safe while the server runs: WAL readers do not block the writer.
public enum DatabaseBackup {
    /// What a backup did.
    public struct Report: Sendable, Equatable {
        /// The new copy.
        public var path: String
        public var bytes: Int64
        /// Copies in the directory after pruning, the new one included.
        public var kept: Int
        /// Older copies deleted to keep `keep`.
        public var deleted: [String]
    }

    /// Copies start with this and end with `.db`: `logpilot-20261123T201500Z.db`. Only such files are pruned.
    static let prefix = "logpilot-"

    /// Makes a copy of `databasePath` in `directory` (created if missing) and prunes older copies beyond `keep`.
    public static func run(
        databasePath: String,
        directory: String,
        keep: Int,
        now: Date = Date()
    ) throws(LogPilotError) -> Report {
        guard keep >= 1 else { throw LogPilotError.invalid("keep", "must be at least 1") }
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw LogPilotError(code: .notFound, message: "no database at \(databasePath)")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LogPilotError(code: .storageFailure, message: "cannot create \(directory): \(error.localizedDescription)")
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let name = "\(prefix)\(formatter.string(from: now)).db"
        let target = (directory as NSString).appendingPathComponent(name)
        let partial = target + ".partial"
        if FileManager.default.fileExists(atPath: target) {
            throw LogPilotError(code: .invalidArgument, message: "\(target) already exists (one backup per second at most)")
        }
        try? FileManager.default.removeItem(atPath: partial)

        do {
            let source = try SQLiteConnection(path: databasePath, readOnly: true)
            source.setBusyTimeout(milliseconds: 10_000)
            let vacuum = try source.prepare("VACUUM INTO ?1")
            try vacuum.bind(partial, at: 1)
            _ = try vacuum.step()
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw LogPilotError.storage(error)
        }
        do {
            let copy = try SQLiteConnection(path: partial, readOnly: true)
            let check = try copy.prepare("PRAGMA quick_check")
            var problems: [String] = []
            while try check.step() {
                let line = check.string(0)
                if line != "ok" { problems.append(line) }
            }
            guard problems.isEmpty else {
                try? FileManager.default.removeItem(atPath: partial)
                throw LogPilotError(
                    code: .storageFailure,
                    message: "the copy failed its check: \(problems.prefix(5).joined(separator: "; "))"
                )
            }
        } catch let error as SQLiteError {
            try? FileManager.default.removeItem(atPath: partial)
            throw LogPilotError.storage(error)
        } catch let error as LogPilotError {
            throw error
        } catch {
            throw LogPilotError(code: .internalError, message: "\(error)")
        }
        do {
            try FileManager.default.moveItem(atPath: partial, toPath: target)
        } catch {
            throw LogPilotError(code: .storageFailure, message: "cannot rename the copy to \(target): \(error.localizedDescription)")
        }

        let copies = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".db") }
            .sorted()
        var deleted: [String] = []
        for old in copies.dropLast(keep) {
            let path = (directory as NSString).appendingPathComponent(old)
            if (try? FileManager.default.removeItem(atPath: path)) != nil { deleted.append(path) }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? NSNumber)?.int64Value ?? 0
        return Report(path: target, bytes: size, kept: copies.count - deleted.count, deleted: deleted)
    }
}
