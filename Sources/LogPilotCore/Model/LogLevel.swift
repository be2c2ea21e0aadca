/// Severity of a log record. Stored as its raw value; written as its upper-case name.
public enum LogLevel: UInt8, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case trace = 0
    case debug = 1
    case info = 2
    case warn = 3
    case error = 4
    case fatal = 5

    /// Parses a level name case-insensitively; `WARNING` is an alias of `WARN`. Returns nil for anything else.
    public init?(parsing text: String) {
        // Level names are short ASCII: compare on upper-cased UTF-8 without allocating for the common cases.
        switch text {
        case "INFO", "info", "Info": self = .info
        case "ERROR", "error", "Error": self = .error
        case "WARN", "warn", "Warn": self = .warn
        case "DEBUG", "debug", "Debug": self = .debug
        default:
            switch text.uppercased() {
            case "TRACE": self = .trace
            case "DEBUG": self = .debug
            case "INFO": self = .info
            case "WARN", "WARNING": self = .warn
            case "ERROR": self = .error
            case "FATAL": self = .fatal
            default: return nil
            }
        }
    }

    /// The upper-case name used on the wire: `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`.
    public var name: String {
        switch self {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warn: "WARN"
        case .error: "ERROR"
        case .fatal: "FATAL"
        }
    }

    public var description: String { name }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The accepted names, for error messages.
    public static let acceptedNames = "TRACE, DEBUG, INFO, WARN (or WARNING), ERROR, FATAL"
}
