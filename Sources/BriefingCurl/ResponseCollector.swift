import Foundation

/// Gathers one response's headers and body as libcurl hands them over — the body in memory, or in a
/// file when the request asked for one — and enforces the size limit on the decoded body.
///
/// One collector lives for one `send`; the curl callbacks reach it through an `Unmanaged` pointer.
final class ResponseCollector {
    let limit: Int
    let cancellation: Cancellation
    private(set) var body = Data()
    /// Where the body goes instead of `body`, when the request named a file.
    let file: FileHandle?
    /// Body bytes of the current response so far, wherever they went.
    private(set) var received = 0
    private(set) var headers: [String: String] = [:]
    /// Set when the body outgrew `limit`, so the write error curl reports can be told apart from others.
    private(set) var exceededLimit = false
    private var lastHeaderName: String?

    init(limit: Int, cancellation: Cancellation = Cancellation(), file: FileHandle? = nil) {
        self.limit = limit
        self.cancellation = cancellation
        self.file = file
    }

    /// Appends decoded body bytes; false (and nothing appended) once the body would pass the limit.
    /// The check is here and not only in CURLOPT_MAXFILESIZE because that one sees the compressed
    /// Content-Length, and a small gzip body can decode to gigabytes.
    func appendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard received + bytes.count <= limit else {
            exceededLimit = true
            return false
        }
        if let file {
            // A failed write (disk full) aborts the transfer: a partial body must not pass for a whole one.
            guard (try? file.write(contentsOf: Data(bytes))) != nil else { return false }
        } else {
            body.append(contentsOf: bytes)
        }
        received += bytes.count
        return true
    }

    /// Takes one raw header line, CRLF included, as curl's header callback delivers it.
    func receiveHeaderLine(_ raw: UnsafeRawBufferPointer) {
        receiveHeaderLine(String(decoding: raw, as: UTF8.self))
    }

    func receiveHeaderLine(_ raw: String) {
        let line = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\r\n"))
        if line.hasPrefix("HTTP/") {
            startResponse()
        } else if let first = line.first, first == " " || first == "\t" {
            continueHeader(line)
        } else if let colon = line.firstIndex(of: ":") {
            addHeader(name: String(line[..<colon]), value: String(line[line.index(after: colon)...]))
        }
    }

    /// A status line opens a new response: curl reports every hop of a redirect chain (and interim
    /// 1xx answers) through the same callbacks, and only the final response belongs to the caller.
    private func startResponse() {
        headers = [:]
        body = Data()
        received = 0
        _ = try? file?.truncate(atOffset: 0)
        lastHeaderName = nil
    }

    private func addHeader(name rawName: String, value rawValue: String) {
        let name = rawName.trimmingCharacters(in: .whitespaces).lowercased()
        let value = rawValue.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { return }
        // Repeated fields combine into one comma-separated value, which HTTP defines as equivalent.
        if let existing = headers[name] {
            headers[name] = existing + ", " + value
        } else {
            headers[name] = value
        }
        lastHeaderName = name
    }

    /// Obsolete line folding (RFC 9112 §5.2): a line starting with whitespace continues the previous field.
    private func continueHeader(_ line: String) {
        guard let name = lastHeaderName, let existing = headers[name] else { return }
        headers[name] = existing + " " + line.trimmingCharacters(in: .whitespaces)
    }
}

/// Set from a Task's cancellation handler, read by libcurl's progress callback on the transfer's thread.
///
/// `@unchecked Sendable`: the one mutable field is only read and written under `lock`.
final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }

    var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }
}
