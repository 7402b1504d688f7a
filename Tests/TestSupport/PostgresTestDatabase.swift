import CLibPQ
import Foundation

/// A fresh, uniquely named database on the test server, dropped by `drop()`.
public struct PostgresTestDatabase: Sendable {
    public let name: String
    /// libpq URI of the new database.
    public let url: String
    private let serverURL: String

    /// Creates the database. Throws with a clear message when `TEST_POSTGRES_URL` is unset or the server
    /// cannot be reached.
    public static func create(prefix: String = "trader_test") throws -> PostgresTestDatabase {
        guard let serverURL = TestEnvironment.postgresURL else { throw TestSetupError(TestEnvironment.postgresMissing) }
        let name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
        try execute("CREATE DATABASE \(name)", on: serverURL)
        return PostgresTestDatabase(name: name, url: replaceDatabase(in: serverURL, with: name), serverURL: serverURL)
    }

    /// Drops the database (terminating any connection left open).
    public func drop() {
        try? Self.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: serverURL)
    }

    /// `postgresql://u@h:p/db?x` with the database path replaced.
    static func replaceDatabase(in url: String, with database: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/" + database
        return components.string ?? url
    }

    static func execute(_ sql: String, on url: String) throws {
        guard let connection = PQconnectdb(url), PQstatus(connection) == CONNECTION_OK else {
            throw TestSetupError("cannot connect to the test PostgreSQL at \(url)")
        }
        defer { PQfinish(connection) }
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK else {
            throw TestSetupError("\(sql): \(String(cString: PQerrorMessage(connection)))")
        }
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
