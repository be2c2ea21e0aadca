public import ArgumentParser
import Foundation
import LogPilotCore

/// `config print`: the effective configuration (defaults < config file < `LOGPILOT_*` < flags) as YAML in the config
/// file's shape, secrets masked. Takes the same options as the server, so it shows exactly what a start would use.
public struct ConfigCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect the configuration.",
        subcommands: [PrintCommand.self]
    )

    public init() {}

    public struct PrintCommand: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "print",
            abstract: "Print the effective configuration as YAML (secrets masked) and exit."
        )

        @OptionGroup public var options: ServerOptions

        public init() {}

        public func run() throws {
            print(try options.resolvedSettings().renderYAML(), terminator: "")
        }
    }
}

/// `backup`: an online, consistent copy of the database next to it (`VACUUM INTO`), checked, keeping the newest N.
/// Safe while the server runs; meant for a Kubernetes CronJob or `kubectl exec`.
public struct BackupCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database online into a backups directory, keeping the newest N copies.",
        discussion: """
            The database is found as the server finds it (--sqlite-path, LOGPILOT_SQLITE_PATH or the config file). \
            Prints one JSON line: {"backup": path, "bytes": n, "kept": n, "deleted": [paths]}. Restore: stop the \
            server, copy a backup over the database file, delete the -wal and -shm files next to it, start.
            """
    )

    @OptionGroup public var options: ServerOptions
    @Option(help: "Directory for the copies. (default: backups/ next to the database)")
    public var outputDir: String?
    @Option(help: "Copies to keep; older ones are deleted.")
    public var keep: Int = 7

    public init() {}

    public func run() throws {
        let settings = try options.resolvedSettings()
        guard keep >= 1 else { throw ValidationError("--keep must be at least 1") }
        let database = settings.storage.path
        let directory = outputDir ?? ((database as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("backups")
        do {
            let report = try DatabaseBackup.run(databasePath: database, directory: directory, keep: keep)
            var writer = JSONWriter(reservingCapacity: 256)
            writer.beginObject()
            writer.writeKey("backup")
            writer.writeString(report.path)
            writer.writeKey("bytes")
            writer.writeInt64(report.bytes)
            writer.writeKey("kept")
            writer.writeInt64(Int64(report.kept))
            writer.writeKey("deleted")
            writer.beginArray()
            for path in report.deleted { writer.writeString(path) }
            writer.endArray()
            writer.endObject()
            print(String(decoding: writer.bytes, as: UTF8.self))
        } catch {
            FileHandle.standardError.write(Data("backup failed: \(error.message)\n".utf8))
            throw ExitCode.failure
        }
    }
}

extension ServerOptions {
    /// The settings these options resolve to (with the config file and `LOGPILOT_*`); an invalid value is a usage
    /// error naming the setting.
    func resolvedSettings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LogPilotSettings {
        do {
            return try LogPilotSettings.resolve(options: self, environment: environment)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
