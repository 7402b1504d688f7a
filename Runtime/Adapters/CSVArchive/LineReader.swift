import Foundation

/// Errors opening or reading a file, naming the file.
public struct FileAccessError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }

    static func fromErrno(_ path: String, _ action: String) -> FileAccessError {
        FileAccessError(path: path, reason: "cannot \(action): \(String(cString: strerror(errno)))")
    }
}

/// Streams the lines of a file in fixed-size chunks, so memory stays bounded whatever the file size.
/// Each line is handed over without its `\n` (and without a trailing `\r`), followed by a `\n` byte in
/// memory so number parsers that stop at a delimiter never read past it.
public struct LineReader: ~Copyable {
    public let path: String
    private let descriptor: Int32
    private let chunkSize: Int

    public init(path: String, chunkSize: Int = 1 << 20) throws(FileAccessError) {
        self.path = path
        self.chunkSize = chunkSize
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .fromErrno(path, "open") }
    }

    deinit { close(descriptor) }

    /// Calls `body` with each line and its 1-based number until the file ends or `body` returns false.
    public func forEachLine(
        _ body: (_ line: UnsafeBufferPointer<UInt8>, _ number: Int) throws -> Bool
    ) throws {
        var buffer = [UInt8](repeating: 0, count: chunkSize + 1)
        var carried = 0  // bytes of an unfinished line kept at the start of `buffer`
        var lineNumber = 0
        var atEnd = false
        while !atEnd {
            if carried == chunkSize {  // a single line longer than the buffer: grow it
                buffer += [UInt8](repeating: 0, count: chunkSize)
            }
            let capacity = buffer.count - 1 - carried
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + carried, capacity) }
            guard count >= 0 else { throw FileAccessError.fromErrno(path, "read") }
            atEnd = count == 0
            var filled = carried + count
            if atEnd {
                if carried == 0 { break }
                buffer[filled] = UInt8(ascii: "\n")  // finish a last line without newline
                filled += 1
            }
            let keepGoing = try buffer.withUnsafeMutableBufferPointer { bytes -> Bool in
                var start = 0
                var index = 0
                while index < filled {
                    if bytes[index] == UInt8(ascii: "\n") {
                        lineNumber += 1
                        var end = index
                        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                        let saved = bytes[end]
                        bytes[end] = UInt8(ascii: "\n")
                        let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                        let more = try body(line, lineNumber)
                        bytes[end] = saved
                        if !more { return false }
                        start = index + 1
                    }
                    index += 1
                }
                carried = filled - start
                if carried > 0, start > 0 {
                    bytes.baseAddress!.update(from: bytes.baseAddress! + start, count: carried)
                }
                return true
            }
            if !keepGoing { return }
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The bytes as a String (for messages and reject files).
    var text: String { String(decoding: self, as: UTF8.self) }
}
