import ArgumentParser
import LogPilotCore
import LogPilotREST
import LogPilotServerSupport

/// `logpilot-all`: storage + every front selected by LOGPILOT_PROTOCOL + the management port, over one engine.
@main
struct LogPilotAllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logpilot-all",
        abstract: "LogPilot all-in-one log ingestion server over one SQLite storage engine.",
        discussion: """
            This build has the REST front only: the gRPC front is not implemented yet, so --protocol all runs REST \
            and --protocol grpc is refused. Every option can also be set with the LOGPILOT_* environment variable \
            named in its help; a flag wins over the variable.
            """
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let settings: LogPilotSettings
        do {
            settings = try LogPilotSettings.resolve(options: options)
        } catch {
            throw ValidationError(error.description)
        }
        if settings.fronts == .grpc {
            throw ValidationError("--protocol grpc: the gRPC front is not available in this build yet (use all or rest)")
        }
        try await LogPilotServer.run(binaryName: "logpilot-all", settings: settings, fronts: [.rest])
    }
}
