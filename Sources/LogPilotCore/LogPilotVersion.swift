/// Version information reported in logs and `logpilot_build_info`.
public enum LogPilotVersion {
    /// LogPilot's own version.
    public static let current = "0.1.0"
    /// The SQLite library the process runs with.
    public static var sqlite: String { SQLiteConnection.libraryVersion }
}
