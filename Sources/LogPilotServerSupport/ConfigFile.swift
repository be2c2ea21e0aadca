import Foundation
import Yams

/// The YAML config file (`--config` / `LOGPILOT_CONFIG`): the `logpilot:` tree of the Java `application.yml`,
/// flattened to `ConfigKey` paths. Strict: an unknown key, a list where a value belongs or a malformed document fails
/// with the key and its line.
public struct ConfigFile: Sendable, Equatable {
    /// One value as written in the file.
    public enum Value: Sendable, Equatable {
        case scalar(String)
        case list([String])
    }

    /// Where the file is; for messages.
    public var path: String
    /// Values by `ConfigKey.path`; a key set to null (`port:` or `~`) is absent.
    public var values: [String: Value]
    /// The line of each value, for messages.
    public var lines: [String: Int]

    /// Reads and parses the file.
    public static func load(path: String) throws(LogPilotSettings.Invalid) -> ConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LogPilotSettings.Invalid(key: "--config / LOGPILOT_CONFIG", reason: "cannot read \(path)")
        }
        guard data.count <= 1 << 20 else {
            throw LogPilotSettings.Invalid(key: "--config / LOGPILOT_CONFIG", reason: "\(path) is larger than 1 MiB")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses YAML text.
    public static func parse(_ text: String, path: String) throws(LogPilotSettings.Invalid) -> ConfigFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw LogPilotSettings.Invalid(key: path, reason: "not valid YAML: \(error)")
        }
        var file = ConfigFile(path: path, values: [:], lines: [:])
        guard let root else { return file }  // an empty file
        guard let mapping = root.mapping else {
            throw LogPilotSettings.Invalid(key: path, reason: "the document must be a mapping with a `logpilot:` key")
        }
        for (key, value) in mapping {
            guard let name = key.scalar?.string, name == "logpilot" else {
                throw file.invalid(key, path: key.scalar?.string ?? "?", "unknown key (only `logpilot:` is read)")
            }
            try file.flatten(value, under: "logpilot")
        }
        return file
    }

    private mutating func flatten(_ node: Node, under prefix: String) throws(LogPilotSettings.Invalid) {
        if isNull(node) { return }
        guard let mapping = node.mapping else {
            throw invalid(node, path: prefix, "must be a mapping of settings")
        }
        for (keyNode, value) in mapping {
            guard let name = keyNode.scalar?.string else { throw invalid(keyNode, path: prefix, "keys must be plain names") }
            let path = "\(prefix).\(name)"
            if let key = ConfigKey.byPath[path] {
                try set(key, value)
            } else if ConfigKey.all.contains(where: { $0.path.hasPrefix(path + ".") }) {
                try flatten(value, under: path)
            } else {
                throw invalid(keyNode, path: path, "unknown key" + Self.suggestion(under: prefix))
            }
        }
    }

    private mutating func set(_ key: ConfigKey, _ node: Node) throws(LogPilotSettings.Invalid) {
        if isNull(node) { return }
        lines[key.path] = node.mark?.line
        switch node {
        case .scalar(let scalar):
            values[key.path] = key.isList
                ? .list(scalar.string.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
                : .scalar(scalar.string)
        case .sequence(let sequence) where key.isList:
            var items: [String] = []
            for item in sequence {
                guard let string = item.scalar?.string else { throw invalid(item, path: key.path, "list items must be plain values") }
                items.append(string)
            }
            values[key.path] = .list(items)
        case .sequence:
            throw invalid(node, path: key.path, "must be a single value, not a list")
        default:
            throw invalid(node, path: key.path, key.isList ? "must be a list or a comma-separated value" : "must be a single value")
        }
    }

    private func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    private func invalid(_ node: Node, path key: String, _ reason: String) -> LogPilotSettings.Invalid {
        let line = node.mark.map { " (line \($0.line) of \(path))" } ?? " (in \(path))"
        return LogPilotSettings.Invalid(key: key + line, reason: reason)
    }

    private static func suggestion(under prefix: String) -> String {
        let children = Set(ConfigKey.all.compactMap { key -> String? in
            guard key.path.hasPrefix(prefix + ".") else { return nil }
            return key.path.dropFirst(prefix.count + 1).split(separator: ".").first.map(String.init)
        })
        return children.isEmpty ? "" : "; known keys under \(prefix): \(children.sorted().joined(separator: ", "))"
    }

    /// A value's origin for messages: `logpilot.server.port (line 3 of /etc/logpilot/config.yaml)`.
    func origin(of key: ConfigKey) -> String {
        "\(key.path) (\(lines[key.path].map { "line \($0) of " } ?? "")\(path))"
    }
}
