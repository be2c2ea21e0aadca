import Foundation
import Logging
import LogPilotCore
import Metrics
import ServiceLifecycle

/// Watches the config file and the API-keys file (the Kubernetes ConfigMap / Secret update case: the kubelet swaps
/// a symlink, so the watcher compares contents, not modification times). On a change it resolves the whole
/// configuration again (same flags and environment); when that fails, the running configuration stays and the error
/// is logged. Live settings (API keys, rate limits, CORS, retention, log level) apply at once; for any other changed
/// key it logs that a restart is needed.
struct ConfigWatcher: Service, CustomStringConvertible {
    let options: ServerOptions
    let environment: [String: String]
    let initial: LogPilotSettings
    let live: LiveControls
    let logger: Logger
    var interval: Duration = .seconds(2)

    /// What ServiceLifecycle logs for this service: never the options, environment or settings (they hold API keys).
    var description: String { "ConfigWatcher" }

    func run() async throws {
        // Created first, also when nothing is watched: the family exists from the first scrape with value 0.
        let success = Counter(label: "logpilot_config_reloads_total", dimensions: [("result", "success")])
        let failure = Counter(label: "logpilot_config_reloads_total", dimensions: [("result", "failure")])
        guard initial.configFile != nil || initial.apiKeysFile != nil else {
            try? await gracefulShutdown()
            return
        }
        logger.info("watching configuration files for changes", metadata: [
            "config.file": "\(initial.configFile ?? "-")", "config.api_keys_file": "\(initial.apiKeysFile ?? "-")",
        ])
        // What the live settings were last set to; restart-only keys are compared with what the process started with.
        var applied = initial
        var seen = Self.contents(of: applied)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            let current = Self.contents(of: applied)
            guard current != seen else { continue }
            seen = current
            let next: LogPilotSettings
            do {
                next = try LogPilotSettings.resolve(options: options, environment: environment)
            } catch {
                failure.increment()
                logger.error("configuration reload failed; the running configuration stays", metadata: [
                    "error": "\(error.description)",
                ])
                continue
            }
            let liveKeys = next.changedKeys(comparedWith: applied).filter(\.isLive)
            let restartKeys = next.changedKeys(comparedWith: initial).filter { !$0.isLive }
            live.apply(next)
            success.increment()
            if next.apiKeysFile != applied.apiKeysFile {
                seen = Self.contents(of: next)  // watch the new keys file from now on
            }
            applied = next
            if liveKeys.isEmpty && restartKeys.isEmpty {
                logger.info("configuration files changed; no effective setting changed")
            } else if !liveKeys.isEmpty {
                logger.notice("configuration reloaded", metadata: [
                    "config.applied": "\(liveKeys.map(\.path).joined(separator: ","))",
                ])
            }
            if !restartKeys.isEmpty {
                logger.warning("configuration changed for keys that apply only after a restart", metadata: [
                    "config.restart_required": "\(restartKeys.map(\.path).joined(separator: ","))",
                ])
            }
            if !next.apiKeys.isEnabled && liveKeys.contains(.apiKeys) {
                logger.warning("AUTHENTICATION IS OFF after the reload: no API key is configured")
            }
        }
    }

    /// The watched files' bytes (nil for a file that cannot be read right now).
    static func contents(of settings: LogPilotSettings) -> [Data?] {
        [settings.configFile, settings.apiKeysFile].map { path in
            path.flatMap { FileManager.default.contents(atPath: $0) }
        }
    }
}
