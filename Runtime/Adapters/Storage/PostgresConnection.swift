import CLibPQ
import Foundation

/// One libpq connection. Calls are serialised by a lock, so a connection may be shared between tasks,
/// but statements never interleave.
final class PostgresConnection: @unchecked Sendable {
    private let connection: OpaquePointer
    private let lock = NSLock()
    /// The redacted URL, for messages.
    let displayLocation: String

    init(url: String, displayLocation: String) throws(StoreError) {
        self.displayLocation = displayLocation
        guard let connection = PQconnectdb(url) else {
            throw .connectionFailed(location: displayLocation, reason: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = Self.message(connection)
            PQfinish(connection)
            throw .connectionFailed(location: displayLocation, reason: reason)
        }
        self.connection = connection
        _ = try? execute("SET client_min_messages = warning", context: "configuring the session")
    }

    deinit { PQfinish(connection) }

    private static func message(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `body` while holding the connection.
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Runs a statement with text parameters (`$1`, `$2`…) and returns rows of text values (nil = NULL).
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = [], context: String) throws(StoreError) -> PostgresResult {
        let result = withCStrings(parameters) { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        return try check(result, context: context)
    }

    /// Runs one or more statements without parameters.
    @discardableResult
    func execute(_ sql: String, context: String) throws(StoreError) -> PostgresResult {
        try check(PQexec(connection, sql), context: context)
    }

    private func check(_ result: OpaquePointer?, context: String) throws(StoreError) -> PostgresResult {
        guard let result else { throw .statementFailed(context: context, message: Self.message(connection)) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN else {
            let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQclear(result)
            throw .statementFailed(context: context, message: message)
        }
        return PostgresResult(result)
    }

    /// `COPY … FROM STDIN` with text-format rows that `produce` appends to the writer it is given; the
    /// writer sends its buffer whenever it passes 1 MiB. Returns the number of rows copied.
    func copyIn(_ sql: String, context: String, produce: (CopyInWriter) throws -> Void) throws -> Int {
        let start = try execute(sql, context: context)
        guard start.status == PGRES_COPY_IN else { throw StoreError.statementFailed(context: context, message: "COPY did not start") }
        let writer = CopyInWriter(connection: connection, context: context)
        do {
            try produce(writer)
            try writer.send()
        } catch {
            PQputCopyEnd(connection, "aborted by the client")
            while let result = PQgetResult(connection) { PQclear(result) }
            throw error
        }
        guard PQputCopyEnd(connection, nil) == 1 else {
            throw StoreError.statementFailed(context: context, message: Self.message(connection))
        }
        var copied = 0
        var failure: StoreError?
        while let result = PQgetResult(connection) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                copied = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else {
                failure = .statementFailed(context: context, message: String(cString: PQresultErrorMessage(result))
                    .trimmingCharacters(in: .whitespacesAndNewlines))
            }
            PQclear(result)
        }
        if let failure { throw failure }
        return copied
    }

    fileprivate static func errorText(_ connection: OpaquePointer) -> String { message(connection) }
}

/// Buffers COPY rows in raw memory and sends them to the server in chunks of about 1 MiB. Rows are
/// written with unchecked stores after one `reserve` per row: bulk loads write hundreds of bytes per row
/// for millions of rows.
final class CopyInWriter {
    private var storage: UnsafeMutableRawPointer
    private var capacity = 1 << 21
    private(set) var count = 0
    private let connection: OpaquePointer
    private let context: String

    fileprivate init(connection: OpaquePointer, context: String) {
        self.connection = connection
        self.context = context
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
    }

    deinit { storage.deallocate() }

    /// Makes room for at least `bytes` more bytes; call before a row's `put`s.
    func reserve(_ bytes: Int) {
        guard count + bytes > capacity else { return }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: max(capacity * 2, count + bytes), alignment: 8)
        grown.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        storage = grown
        capacity = max(capacity * 2, count + bytes)
    }

    /// Writes `value` big-endian (network order). The space must have been reserved.
    @inline(__always)
    func put<T: FixedWidthInteger>(_ value: T) {
        storage.storeBytes(of: value.bigEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    /// Writes raw bytes. The space must have been reserved.
    func put(bytes: [UInt8]) {
        bytes.withUnsafeBytes { storage.advanced(by: count).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        count += bytes.count
    }

    /// Call after each row: sends the buffer once it passes 1 MiB.
    func rowFinished() throws(StoreError) {
        if count >= 1 << 20 { try send() }
    }

    func send() throws(StoreError) {
        guard count > 0 else { return }
        let sent = PQputCopyData(connection, storage.assumingMemoryBound(to: CChar.self), Int32(count))
        guard sent == 1 else { throw .statementFailed(context: context, message: PostgresConnection.errorText(connection)) }
        count = 0
    }
}

/// A libpq result; freed when released.
final class PostgresResult {
    private let result: OpaquePointer

    init(_ result: OpaquePointer) { self.result = result }
    deinit { PQclear(result) }

    var status: ExecStatusType { PQresultStatus(result) }
    var rowCount: Int { Int(PQntuples(result)) }
    var columnCount: Int32 { PQnfields(result) }
    /// Rows affected by INSERT/UPDATE/DELETE/COPY.
    var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    func text(_ row: Int, _ column: Int) -> String? {
        isNull(row, column) ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
    }

    func integer(_ row: Int, _ column: Int) -> Int64 {
        guard !isNull(row, column) else { return 0 }
        return strtoll(PQgetvalue(result, Int32(row), Int32(column)), nil, 10)
    }

    func number(_ row: Int, _ column: Int) -> Double {
        guard !isNull(row, column) else { return .nan }
        return strtod(PQgetvalue(result, Int32(row), Int32(column)), nil)
    }
}

/// Calls `body` with a C array of NUL-terminated copies of `strings` (NULL for nil).
private func withCStrings<T>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
    let copies = strings.map { $0.map { strdup($0) } ?? nil }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}
