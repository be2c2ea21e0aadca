// All unsafe SQLite C API use of LogPilot lives in this file: the connection and statement handles are owned by
// two small classes that finalize/close in `deinit`, and every result code goes through `check(_:)` so that an
// `SQLiteError` always carries SQLite's primary and extended result codes and its message.

private import CSQLite

/// An error reported by SQLite, keeping its result code (`SQLITE_FULL`, `SQLITE_BUSY`, `SQLITE_CORRUPT`, ...).
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The primary result code (the low 8 bits of the extended code).
    public var resultCode: Int32
    /// The extended result code, e.g. `SQLITE_IOERR_WRITE`.
    public var extendedResultCode: Int32
    /// SQLite's own message (`sqlite3_errmsg`) or ours when there is no connection.
    public var message: String
    /// What we were doing, e.g. the SQL statement or "open".
    public var context: String

    /// Primary result codes LogPilot reacts to.
    public static let busy: Int32 = 5
    public static let locked: Int32 = 6
    public static let noMemory: Int32 = 7
    public static let readOnly: Int32 = 8
    public static let ioError: Int32 = 10
    public static let corrupt: Int32 = 11
    public static let full: Int32 = 13
    public static let cantOpen: Int32 = 14
    public static let notADatabase: Int32 = 26

    /// The primary result codes with a name of their own in `codeName` (and a zero series in `/metrics`).
    public static let namedCodes: [(code: Int32, name: String)] = [
        (1, "SQLITE_ERROR"), (busy, "SQLITE_BUSY"), (locked, "SQLITE_LOCKED"), (noMemory, "SQLITE_NOMEM"),
        (readOnly, "SQLITE_READONLY"), (ioError, "SQLITE_IOERR"), (corrupt, "SQLITE_CORRUPT"), (full, "SQLITE_FULL"),
        (cantOpen, "SQLITE_CANTOPEN"), (19, "SQLITE_CONSTRAINT"), (notADatabase, "SQLITE_NOTADB"),
    ]

    /// The symbolic name of the primary result code, e.g. `SQLITE_FULL`.
    public var codeName: String {
        Self.namedCodes.first { $0.code == resultCode }?.name ?? "SQLITE(\(resultCode))"
    }

    public var description: String { "\(codeName): \(message) (\(context))" }
}

/// A zero-length C string that lives for the whole process (never written after initialisation).
nonisolated(unsafe) private let emptyText: UnsafeMutablePointer<CChar> = {
    let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    pointer.initialize(to: 0)
    return pointer
}()

/// One SQLite connection. Not thread-safe by design: the engine confines each connection to one thread at a time
/// (the writer thread, or one reader task), so the connection is opened with `SQLITE_OPEN_NOMUTEX`.
final class SQLiteConnection {
    private var handle: OpaquePointer?
    let path: String

    /// Global, process-wide SQLite settings; must run before the first connection is opened.
    static let configureOnce: Void = {
        // Memory statistics cost a mutex per allocation; LogPilot does not read them.
        _ = csqlite_config_memstatus(0)
    }()

    init(path: String, readOnly: Bool) throws(SQLiteError) {
        _ = Self.configureOnce
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX
        flags |= readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        if rc != SQLITE_OK {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open database"
            let extended = db.map { sqlite3_extended_errcode($0) } ?? rc
            sqlite3_close_v2(db)
            throw SQLiteError(resultCode: rc & 0xFF, extendedResultCode: extended, message: message, context: "open \(path)")
        }
        self.handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        close()
    }

    /// Closes the connection; statements must be finalized first (they are, when their owners are released).
    func close() {
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    /// Runs one or more SQL statements that return no rows we need.
    func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(
                resultCode: rc & 0xFF,
                extendedResultCode: sqlite3_extended_errcode(handle),
                message: message,
                context: sql
            )
        }
    }

    /// Compiles a statement. `persistent` hints SQLite that it will be reused many times.
    func prepare(_ sql: String, persistent: Bool = false) throws(SQLiteError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let flags: UInt32 = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let rc = sqlite3_prepare_v3(handle, sql, -1, flags, &statement, nil)
        try check(rc, sql)
        return SQLiteStatement(handle: statement, connection: self, sql: sql)
    }

    /// Runs a query that returns one integer (or nil when there is no row or it is NULL).
    func scalarInt64(_ sql: String) throws(SQLiteError) -> Int64? {
        let statement = try prepare(sql)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.int64(0)
    }

    /// Sets how long SQLite retries when another connection holds a lock.
    func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    var changes: Int { Int(sqlite3_changes(handle)) }

    fileprivate func check(_ rc: Int32, _ context: @autoclosure () -> String) throws(SQLiteError) {
        guard rc != SQLITE_OK, rc != SQLITE_ROW, rc != SQLITE_DONE else { return }
        throw SQLiteError(
            resultCode: rc & 0xFF,
            extendedResultCode: sqlite3_extended_errcode(handle),
            message: String(cString: sqlite3_errmsg(handle)),
            context: context()
        )
    }

    fileprivate var rawHandle: OpaquePointer? { handle }

    /// The SQLite library version, e.g. "3.40.1".
    static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}

/// A prepared statement owned by one connection. Parameters are 1-based, columns 0-based (as in SQLite).
final class SQLiteStatement {
    private var handle: OpaquePointer?
    private unowned let connection: SQLiteConnection
    let sql: String

    fileprivate init(handle: OpaquePointer?, connection: SQLiteConnection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    func bind(_ value: Int64, at index: Int32) throws(SQLiteError) {
        try connection.check(sqlite3_bind_int64(handle, index, value), sql)
    }

    func bind(_ value: Int, at index: Int32) throws(SQLiteError) {
        try bind(Int64(value), at: index)
    }

    func bindNull(at index: Int32) throws(SQLiteError) {
        try connection.check(sqlite3_bind_null(handle, index), sql)
    }

    /// Binds a copy of the text (SQLite copies it: safe for any lifetime).
    func bind(_ value: String?, at index: Int32) throws(SQLiteError) {
        guard let value else { return try bindNull(at: index) }
        var text = value
        let rc = text.withUTF8 { utf8 in
            sqlite3_bind_text(handle, index, Self.textPointer(utf8), Int32(utf8.count), csqlite_transient())
        }
        try connection.check(rc, sql)
    }

    /// Binds text without copying; the bytes must stay valid until the next `step()` returns.
    func bindNoCopy(_ utf8: UnsafeBufferPointer<UInt8>, at index: Int32) throws(SQLiteError) {
        let rc = sqlite3_bind_text(handle, index, Self.textPointer(utf8), Int32(utf8.count), csqlite_static())
        try connection.check(rc, sql)
    }

    /// Binds a copy of the bytes as a BLOB.
    func bindBlob(_ bytes: [UInt8], at index: Int32) throws(SQLiteError) {
        let rc = bytes.withUnsafeBytes { raw in
            // A zero-length blob must still be a blob, not NULL: SQLite needs a non-null pointer for that.
            sqlite3_bind_blob64(handle, index, raw.baseAddress ?? UnsafeRawPointer(emptyText), UInt64(raw.count), csqlite_transient())
        }
        try connection.check(rc, sql)
    }

    /// A non-null pointer for the text (SQLite binds NULL for a null pointer, but "" must stay an empty string).
    private static func textPointer(_ utf8: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar> {
        guard let base = utf8.baseAddress else { return UnsafePointer(emptyText) }
        return UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
    }

    /// Advances the statement: `true` when a row is available, `false` when done.
    @discardableResult
    func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        // sqlite3_step's own code may be generic; the connection's extended code is precise.
        try connection.check(rc, sql)
        return false
    }

    /// Resets the statement for reuse and clears its bindings.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    func optionalString(_ column: Int32) -> String? { isNull(column) ? nil : string(column) }

    /// Calls `body` with a BLOB column's bytes; they are valid only inside `body` (until the next step or reset).
    func withBlob<T, E: Error>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws(E) -> T) throws(E) -> T {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard let base = sqlite3_column_blob(handle, column), count > 0 else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A copy of a BLOB column.
    func blob(_ column: Int32) -> [UInt8] {
        withBlob(column) { (bytes: UnsafeRawBufferPointer) -> [UInt8] in [UInt8](bytes) }
    }
}
