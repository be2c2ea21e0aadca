import ArgumentParser
import LogPilotCore
import LogPilotREST
import LogPilotServerSupport

/// `logpilot-rest`: storage + the REST front + the management port.
@main
struct LogPilotRESTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logpilot-rest",
        abstract: "LogPilot log ingestion server: REST API over the shared SQLite storage engine.",
        discussion: "Every option can also be set with the LOGPILOT_* environment variable named in its help; a flag wins over the variable.",
        subcommands: [ConfigCommand.self, BackupCommand.self]
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await LogPilotServer.run(binaryName: "logpilot-rest", options: options) { _ in [.rest] }
    }
}
