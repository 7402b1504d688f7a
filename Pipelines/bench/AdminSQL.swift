import ChildProcesses
import CLibPQ
import Foundation

/// Creates and drops benchmark databases on a PostgreSQL server.
enum AdminSQL {
    static func execute(_ sql: String, on url: String) throws {
        guard let connection = PQconnectdb(url), PQstatus(connection) == CONNECTION_OK else {
            throw BenchError("cannot connect to \(url)")
        }
        defer { PQfinish(connection) }
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK else {
            throw BenchError("\(sql): \(String(cString: PQerrorMessage(connection)))")
        }
    }

    static func replaceDatabase(in url: String, with database: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/" + database
        return components.string ?? url
    }
}

/// The reference figure: `psql \copy` of the same CSV into a plain table (no index), timed as a whole.
enum PsqlAnchor {
    static func copySeconds(file: String, url: String) async throws -> Double {
        try AdminSQL.execute("""
            CREATE TABLE IF NOT EXISTS reference_copy (open_time BIGINT, open NUMERIC, high NUMERIC, low NUMERIC,
                close NUMERIC, volume NUMERIC)
            """, on: url)
        let started = Date()
        let result = try await ChildProcess("psql", [url, "-q", "-c", "\\copy reference_copy FROM '\(file)' WITH (FORMAT csv, HEADER true)"]).run()
        guard result.succeeded else { throw BenchError("psql failed: \(result.standardError)") }
        return Date().timeIntervalSince(started)
    }
}
