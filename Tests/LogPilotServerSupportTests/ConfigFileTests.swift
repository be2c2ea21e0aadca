import ArgumentParser
import Foundation
import Logging
import LogPilotCore
import Testing
@testable import LogPilotServerSupport

struct ConfigFileTests {
    func parse(_ yaml: String) throws(LogPilotSettings.Invalid) -> ConfigFile {
        try ConfigFile.parse(yaml, path: "test.yaml")
    }

    func resolve(_ yaml: String?, env: [String: String] = [:], flags: [String] = []) throws -> LogPilotSettings {
        let options = try ServerOptions.parse(flags)
        return try LogPilotSettings.resolve(options: options, environment: env, file: yaml.map { try parse($0) })
    }

    @Test func flattensTheLogpilotTree() throws {
        let file = try parse("""
            logpilot:
              server:
                port: 9090
                api-keys: [a, b]
                cors: {allowed-origins: "https://x.example, https://y.example"}
              storage:
                sqlite:
                  path: /data/logpilot.db
                  max-bytes: ~
            """)
        #expect(file.values["logpilot.server.port"] == .scalar("9090"))
        #expect(file.values["logpilot.server.api-keys"] == .list(["a", "b"]))
        #expect(file.values["logpilot.server.cors.allowed-origins"] == .list(["https://x.example", "https://y.example"]))
        #expect(file.values["logpilot.storage.sqlite.max-bytes"] == nil)
        #expect(file.lines["logpilot.server.port"] == 3)
    }

    @Test(arguments: [
        ("logpilot:\n  storage:\n    sqlite:\n      pth: x\n", "logpilot.storage.sqlite.pth (line 4 of test.yaml)"),
        ("server:\n  port: 1\n", "server (line 1 of test.yaml)"),
        ("logpilot:\n  server:\n    port: [1, 2]\n", "logpilot.server.port"),
        ("logpilot:\n  server: 5\n", "logpilot.server"),
        ("logpilot: [\n", "test.yaml"),
        ("- a\n- b\n", "test.yaml"),
    ])
    func badFilesNameTheKey(yaml: String, key: String) {
        do {
            _ = try parse(yaml)
            Issue.record("expected an error for \(yaml)")
        } catch {
            #expect(error.key.hasPrefix(key), "\(error)")
        }
    }

    @Test func anEmptyFileIsNoSettings() throws {
        #expect(try parse("").values.isEmpty)
        #expect(try parse("logpilot:\n").values.isEmpty)
    }

    @Test func precedenceIsFileThenEnvironmentThenFlag() throws {
        let yaml = "logpilot:\n  server:\n    port: 1111\n  limits:\n    max-read-limit: 50\n  retention:\n    days: 3\n"
        let fromFile = try resolve(yaml)
        #expect(fromFile.httpPort == 1111)
        #expect(fromFile.limits.maxReadLimit == 50)
        #expect(fromFile.storage.retentionDays == 3)
        let fromEnv = try resolve(yaml, env: ["LOGPILOT_HTTP_PORT": "2222"])
        #expect(fromEnv.httpPort == 2222)
        #expect(fromEnv.limits.maxReadLimit == 50)
        let fromFlag = try resolve(yaml, env: ["LOGPILOT_HTTP_PORT": "2222"], flags: ["--http-port", "3333"])
        #expect(fromFlag.httpPort == 3333)
    }

    @Test func aBadValueInTheFileNamesTheKeyAndLine() throws {
        do {
            _ = try resolve("logpilot:\n  storage:\n    sqlite:\n      synchronous: sometimes\n")
            Issue.record("expected an error")
        } catch let error as LogPilotSettings.Invalid {
            #expect(error.key == "logpilot.storage.sqlite.synchronous (line 4 of test.yaml)")
        }
    }

    @Test func rateLimitsAndProxiesAreRead() throws {
        let settings = try resolve("""
            logpilot:
              server:
                rate-limit:
                  enabled: yes
                  capacity: 5
                  records-capacity: 20000
                  trusted-proxies: [10.0.0.0/8, "192.168.0.1"]
            """)
        #expect(settings.rateLimit.isEnabled)
        #expect(settings.rateLimit.requestCapacity == 5)
        #expect(settings.rateLimit.trustedProxies.networks.map(\.description) == ["10.0.0.0/8", "192.168.0.1/32"])
        #expect(throws: LogPilotSettings.Invalid.self) {
            try resolve("logpilot:\n  server:\n    rate-limit:\n      trusted-proxies: [not-an-ip]\n")
        }
        // A records burst below the largest batch could never pass a full batch.
        #expect(throws: LogPilotSettings.Invalid.self) {
            try resolve("logpilot:\n  server:\n    rate-limit:\n      enabled: true\n      records-capacity: 10\n")
        }
    }

    @Test func printedConfigurationParsesBackToTheSameSettings() throws {
        let original = try resolve("""
            logpilot:
              server:
                port: 9999
                cors:
                  allowed-origins: ["https://app.example.com"]
              retention:
                days: 30
              logging:
                level: debug
            """)
        let yaml = original.renderYAML()
        let reparsed = try resolve(yaml)
        #expect(reparsed.changedKeys(comparedWith: original).isEmpty)
    }

    @Test func printingMasksAPIKeys() throws {
        let settings = try resolve("logpilot:\n  server:\n    api-keys: [s3cr3t-one, s3cr3t-two]\n")
        let yaml = settings.renderYAML()
        #expect(!yaml.contains("s3cr3t"))
        #expect(yaml.contains("********"))
    }

    @Test func changedKeysTellLiveFromRestartSettings() throws {
        let before = try resolve("logpilot:\n  server:\n    api-keys: [a]\n    port: 1\n")
        let after = try resolve("logpilot:\n  server:\n    api-keys: [b]\n    port: 2\n")
        let changed = after.changedKeys(comparedWith: before)
        #expect(Set(changed.map(\.path)) == ["logpilot.server.api-keys", "logpilot.server.port"])
        #expect(changed.first { $0.path == "logpilot.server.api-keys" }?.isLive == true)
        #expect(changed.first { $0.path == "logpilot.server.port" }?.isLive == false)
    }

    @Test func everyKeyHasAVariableAndTheTableHasNoDuplicates() {
        #expect(Set(ConfigKey.all.map(\.path)).count == ConfigKey.all.count)
        #expect(ConfigKey.all.allSatisfy { $0.variable?.hasPrefix("LOGPILOT_") == true })
    }
}
