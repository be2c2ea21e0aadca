import ArgumentParser
import LogPilotCore
import LogPilotGRPCFront
import LogPilotServerSupport

/// `logpilot-all`: storage + the fronts selected by `LOGPILOT_PROTOCOL` (REST, gRPC or both) + the management port,
/// over one storage engine.
@main
struct LogPilotAllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logpilot-all",
        abstract: "LogPilot all-in-one log ingestion server: REST and gRPC over one SQLite storage engine.",
        discussion: """
            --protocol (LOGPILOT_PROTOCOL) selects the fronts: all (REST and gRPC, the default), rest or grpc. Every \
            option can also be set with the LOGPILOT_* environment variable named in its help; a flag wins over the \
            variable.
            """,
        subcommands: [ConfigCommand.self, BackupCommand.self]
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await LogPilotServer.run(binaryName: "logpilot-all", options: options) { settings in
            switch settings.fronts {
            case .all: [.rest, .grpc]
            case .rest: [.rest]
            case .grpc: [.grpc]
            }
        }
    }
}
