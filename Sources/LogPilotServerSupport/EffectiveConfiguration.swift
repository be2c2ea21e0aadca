import Foundation
import Logging
import LogPilotCore
import LogPilotManagement

extension LogPilotSettings {
    /// The value of one key as the process uses it, for `config print` and for telling which keys a reload changed.
    /// Secrets are masked.
    func effectiveValue(_ key: ConfigKey) -> ConfigFile.Value {
        func scalar(_ value: some CustomStringConvertible) -> ConfigFile.Value { .scalar(value.description) }
        switch key {
        case .protocolKey: return scalar(fronts.rawValue)
        case .host: return scalar(host)
        case .httpPort: return scalar(httpPort)
        case .httpMaxConnections: return scalar(httpMaxConnections)
        case .httpIdleTimeout: return scalar(httpIdleTimeoutSeconds)
        case .apiKey, .apiKeys:
            // One effective list: the keys from the variable, the list and the file together.
            if key == .apiKey { return .scalar("") }  // printed as one list under api-keys
            return .list(Array(repeating: "********", count: apiKeys.count))
        case .apiKeysFile: return .scalar(apiKeysFile ?? "")
        case .shutdownTimeout: return scalar(shutdownTimeoutSeconds)
        case .rateLimitEnabled: return scalar(rateLimit.isEnabled)
        case .rateLimitCapacity: return scalar(rateLimit.requestCapacity)
        case .rateLimitRefillTokens: return scalar(rateLimit.requestRefillTokens)
        case .rateLimitRefillDuration: return scalar(rateLimit.refillPeriodSeconds)
        case .rateLimitRecordsCapacity: return scalar(rateLimit.recordCapacity)
        case .rateLimitRecordsRefillTokens: return scalar(rateLimit.recordRefillTokens)
        case .rateLimitMaxClients: return scalar(rateLimit.maxClients)
        case .trustedProxies: return .list(rateLimit.trustedProxies.networks.map(\.description))
        case .corsAllowedOrigins: return .list(corsAllowedOrigins)
        case .grpcPort: return scalar(grpcPort)
        case .grpcMaxReceiveBytes: return scalar(grpcMaxReceiveBytes)
        case .grpcMaxConcurrentStreams: return scalar(grpcMaxConcurrentStreams)
        case .grpcMaxConnections: return scalar(grpcMaxConnections)
        case .managementPort: return scalar(management.port)
        case .storageType: return .scalar("sqlite")
        case .sqlitePath: return scalar(storage.path)
        case .sqliteSynchronous: return scalar(storage.synchronous.rawValue)
        case .sqlitePoolSize: return scalar(storage.readerCount)
        case .sqliteBusyTimeout: return scalar(storage.busyTimeoutMilliseconds)
        case .sqliteMaxBytes: return scalar(storage.maxDatabaseBytes)
        case .queueMaxRecords: return scalar(storage.maxQueuedRecords)
        case .queueMaxBytes: return scalar(storage.maxQueuedBytes)
        case .commitMaxRecords: return scalar(storage.maxCommitRecords)
        case .maxStreams: return scalar(storage.streamLimits.maxStreams)
        case .retentionDays: return scalar(storage.retentionDays)
        case .retentionMaxBytes: return scalar(storage.retentionMaxBytes)
        case .retentionInterval: return scalar(storage.retentionIntervalSeconds)
        case .maxBodyBytes: return scalar(limits.maxBodyBytes)
        case .maxInflightBodyBytes: return scalar(maxInflightBodyBytes)
        case .maxBatchRecords: return scalar(limits.maxBatchRecords)
        case .maxMessageBytes: return scalar(limits.maxMessageBytes)
        case .maxMetaBytes: return scalar(limits.maxMetaBytes)
        case .maxMetaKeys: return scalar(limits.maxMetaKeys)
        case .maxChannelBytes: return scalar(limits.maxChannelBytes)
        case .maxReadLimit: return scalar(limits.maxReadLimit)
        case .maxReadScanRecords: return scalar(storage.readBudget.maxScannedRecords)
        case .readTimeout: return scalar(storage.readBudget.timeoutMilliseconds)
        case .maxConcurrentSearches: return scalar(storage.readBudget.maxConcurrentSearches)
        case .metricsMaxChannels: return scalar(metricsMaxChannels)
        case .logLevel: return scalar(logLevel.rawValue)
        case .logFormat: return scalar(logFormat.rawValue)
        default: return .scalar("")
        }
    }

    /// Keys whose effective value differs between two resolutions.
    func changedKeys(comparedWith other: LogPilotSettings) -> [ConfigKey] {
        ConfigKey.all.filter { key in
            if key == .apiKeys { return apiKeys != other.apiKeys }  // masked values would hide a changed key
            return effectiveValue(key) != other.effectiveValue(key)
        }
    }

    /// The effective configuration as a YAML document in the config file's shape, secrets masked.
    public func renderYAML() -> String {
        var lines = ["# effective LogPilot configuration (defaults < config file < LOGPILOT_* < flags); secrets masked"]
        var openPath: [Substring] = []
        for key in ConfigKey.all {
            let parts = key.path.split(separator: ".")
            let parents = Array(parts.dropLast())
            var common = 0
            while common < min(openPath.count, parents.count), openPath[common] == parents[common] { common += 1 }
            for depth in common..<parents.count {
                lines.append(String(repeating: "  ", count: depth) + parents[depth] + ":")
            }
            openPath = parents
            let indent = String(repeating: "  ", count: parents.count)
            let name = indent + parts.last!
            switch effectiveValue(key) {
            case .scalar(let value):
                lines.append("\(name): \(Self.yamlScalar(value))")
            case .list(let items):
                lines.append(items.isEmpty ? "\(name): []" : "\(name):")
                for item in items { lines.append("\(indent)  - \(Self.yamlScalar(item))") }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Quotes a scalar when YAML would read it as something else.
    static func yamlScalar(_ value: String) -> String {
        let plain = value.allSatisfy { $0.isLetter || $0.isNumber || "-_./:*".contains($0) }
        if !value.isEmpty, plain, !value.hasPrefix("*") { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
