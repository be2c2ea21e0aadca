import Logging
import LogPilotCore
import Testing
@testable import LogPilotServerSupport

struct LiveControlsTests {
    @Test(arguments: Logger.Level.allCases)
    func logLevelRoundTrips(level: Logger.Level) {
        let control = LogLevelControl(.info)
        control.level = level
        #expect(control.level == level)
    }

    @Test func loggersFollowTheControlAfterTheyWereMade() {
        let control = LogLevelControl(.info)
        let logger = Logger(label: "t") { _ in
            LiveLevelLogHandler(inner: SwiftLogNoOpLogHandler(), control: control)
        }
        #expect(logger.logLevel == .info)
        control.level = .debug
        #expect(logger.logLevel == .debug)
    }

    @Test func applyReplacesTheLiveSettings() throws {
        var settings = LogPilotSettings()
        let live = LiveControls(settings)
        settings.apiKeys = APIKeySet(["k"])
        settings.corsAllowedOrigins = ["https://a.example"]
        settings.storage.retentionDays = 30
        settings.rateLimit.isEnabled = true
        settings.logLevel = .error
        live.apply(settings)
        #expect(live.apiKeys.value.accepts("k"))
        #expect(live.corsAllowedOrigins.value == ["https://a.example"])
        #expect(live.retention.value.days == 30)
        #expect(live.rateLimiter.policy.isEnabled)
        #expect(live.logLevel.level == .error)
    }
}
