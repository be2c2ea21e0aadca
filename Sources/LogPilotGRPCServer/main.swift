import ArgumentParser
import LogPilotCore
import LogPilotGRPCFront
import LogPilotServerSupport

/// `logpilot-grpc`: storage + the gRPC front + the management port.
@main
struct LogPilotGRPCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logpilot-grpc",
        abstract: "LogPilot log ingestion server: gRPC (logpilot.LogService, health, reflection) over the shared SQLite storage engine.",
        discussion: "Every option can also be set with the LOGPILOT_* environment variable named in its help; a flag wins over the variable. REST options are accepted and unused.",
        subcommands: [ConfigCommand.self, BackupCommand.self]
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await LogPilotServer.run(binaryName: "logpilot-grpc", options: options) { _ in [.grpc] }
    }
}
