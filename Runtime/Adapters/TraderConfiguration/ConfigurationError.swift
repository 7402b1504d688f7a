/// One problem found in a configuration file: where it is and what would be accepted instead.
public struct ConfigurationIssue: Sendable, Equatable, CustomStringConvertible {
    /// File path relative to the configuration directory, e.g. `trading/symbols.yaml`.
    public var file: String
    /// 1-based line in the file, when known.
    public var line: Int?
    /// Key path inside the file, e.g. `symbols[2].leverage.max`; empty for the whole file.
    public var keyPath: String
    /// The offending value as written, when there is one.
    public var value: String?
    /// What is wrong and what is allowed.
    public var message: String

    public init(file: String, line: Int? = nil, keyPath: String, value: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.value = value
        self.message = message
    }

    /// `trading/symbols.yaml:14: symbols[2].leverage.max = 200: must be between leverage.min (5) and 125`
    public var description: String {
        var text = line.map { "\(file):\($0)" } ?? file
        if !keyPath.isEmpty { text += ": \(keyPath)" }
        if let value { text += " = \(value)" }
        return text + ": " + message
    }
}

/// Every problem found while loading a configuration directory; thrown once, with all of them.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var issues: [ConfigurationIssue]

    public init(issues: [ConfigurationIssue]) { self.issues = issues }

    public var description: String {
        let count = issues.count == 1 ? "1 problem" : "\(issues.count) problems"
        return (["invalid configuration (\(count)):"] + issues.map { "  \($0)" }).joined(separator: "\n")
    }
}

/// Edit distance, used to suggest the nearest valid key for a misspelt one.
func editDistance(_ lhs: String, _ rhs: String) -> Int {
    let left = Array(lhs.lowercased().utf8), right = Array(rhs.lowercased().utf8)
    if left.isEmpty { return right.count }
    var previous = Array(0...right.count)
    for (row, leftByte) in left.enumerated() {
        var current = [row + 1] + Array(repeating: 0, count: right.count)
        for (column, rightByte) in right.enumerated() {
            current[column + 1] = Swift.min(
                previous[column + 1] + 1, current[column] + 1, previous[column] + (leftByte == rightByte ? 0 : 1))
        }
        previous = current
    }
    return previous[right.count]
}

/// The closest of `candidates` to `key`, if it is close enough to be a plausible typo.
func nearest(to key: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(key, $0)) }.min { $0.1 < $1.1 }
    guard let (candidate, distance) = scored else { return nil }
    let tolerance = Swift.max(2, candidate.count / 3)
    let isPrefix = candidate.hasPrefix(key) || key.hasPrefix(candidate)
    return distance <= tolerance || isPrefix ? candidate : nil
}
