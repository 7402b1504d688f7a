import Foundation

/// Writes a file so that readers see either the old complete file or the new complete file, never a
/// half-written one: the bytes go to a temporary file in the same directory, are flushed to disk, and the
/// temporary file is renamed over the destination. If anything fails, the destination is untouched.
public final class AtomicFileWriter {
    public let destination: String
    let temporaryPath: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var finished = false

    /// Creates the destination's directory if needed and opens the temporary file.
    public init(destination: String) throws(FileAccessError) {
        self.destination = destination
        let directory = (destination as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw FileAccessError(path: directory, reason: "cannot create directory: \(error.localizedDescription)")
            }
        }
        temporaryPath = destination + ".tmp-\(getpid())"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .fromErrno(temporaryPath, "create") }
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        if !finished {  // abandoned: remove the partial temporary file, keep the destination as it was
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    public func write(_ text: String) throws(FileAccessError) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    public func write(bytes: some Sequence<UInt8>) throws(FileAccessError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws(FileAccessError) {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            guard written > 0 else { throw .fromErrno(temporaryPath, "write") }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and renames the temporary file over the destination.
    public func commit() throws(FileAccessError) {
        try flush()
        guard fsync(descriptor) == 0 else { throw .fromErrno(temporaryPath, "sync") }
        close(descriptor)
        finished = true
        guard rename(temporaryPath, destination) == 0 else {
            let error = FileAccessError.fromErrno(destination, "rename \(temporaryPath) to")
            unlink(temporaryPath)
            throw error
        }
    }
}
