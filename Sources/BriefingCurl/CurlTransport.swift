import BriefingSync
import CCurl
import Foundation

/// The `Transport` the CLI syncs through: libcurl's easy interface with safe defaults.
///
/// Create one per sync and send every page through it: it keeps one easy handle for its whole lifetime,
/// so consecutive requests to the same server reuse the open connection (and TLS session).
/// ```swift
/// let transport = CurlTransport(configuration: .init(requestTimeout: 20, caFile: "/etc/briefing/ca.pem"))
/// let page = try await transport.send(TransportRequest(url: pullURL, headers: [("Authorization", "Bearer \(token)")]))
/// ```
/// TLS peer and host verification are always on; redirects are followed up to `maxRedirects` and only to
/// http or https; bodies are decompressed (gzip, deflate and whatever else libcurl decodes) and capped at
/// `Configuration.maxResponseSize`. Calls are serialised: a handle serves one transfer at a time, on the
/// transport's own dispatch queue (libcurl's easy interface blocks, and must not hold up the Task pool).
/// Cancelling the calling Task aborts the transfer through libcurl's progress callback.
///
/// `@unchecked Sendable`: the easy handle and the error buffer are touched only by blocks on `queue`, a
/// serial queue, so no two threads ever use them at once; everything else is immutable.
public final class CurlTransport: Transport, @unchecked Sendable {
    public typealias Configuration = TransportConfiguration

    /// How many redirects one request may follow.
    public static let maxRedirects = TransportConfiguration.maxRedirects

    public let configuration: Configuration
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let queue = DispatchQueue(label: "briefing.curl")

    public init(configuration: Configuration = Configuration()) {
        precondition(globalInit == CURLE_OK, "curl_global_init failed: \(globalInit.rawValue)")
        // curl_easy_init fails only when memory runs out; nothing sensible can continue from there.
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        self.handle = handle
        self.configuration = configuration
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    public func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        try RequestCheck.validate(request)
        if Task.isCancelled { throw .cancelled }
        let cancellation = Cancellation()
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<TransportResponse, TransportError>, Never>) in
                queue.async {
                    continuation.resume(returning: Result { () throws(TransportError) in
                        try self.perform(request, cancellation: cancellation)
                    })
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try outcome.get()
    }

    /// Runs one transfer to the end; only ever called on `queue`.
    private func perform(_ request: TransportRequest, cancellation: Cancellation) throws(TransportError) -> TransportResponse {
        let headers = headerList(for: request)
        defer { curl_slist_free_all(headers) }
        let file = try request.openResponseBodyFile()
        defer { try? file?.close() }
        let collector = ResponseCollector(limit: configuration.maxResponseSize, cancellation: cancellation, file: file)
        let code = try withExtendedLifetime(collector) { () throws(TransportError) -> CURLcode in
            // Reset drops the previous request's options but keeps the connection and DNS caches.
            curl_easy_reset(handle)
            try configure(for: request, headers: headers, collector: collector)
            return curl_easy_perform(handle)
        }
        if code == CURLE_ABORTED_BY_CALLBACK && cancellation.isCancelled { throw .cancelled }
        guard code == CURLE_OK else { throw failure(code, collector: collector, request: request) }
        return TransportResponse(status: responseCode(), headers: collector.headers, body: collector.body,
                                 bodyFile: file == nil ? nil : request.responseBodyFile, bodySize: collector.received)
    }

    private func configure(for request: TransportRequest, headers: UnsafeMutablePointer<curl_slist>?,
                           collector: ResponseCollector) throws(TransportError) {
        errorBuffer[0] = 0
        try set(CURLOPT_ERRORBUFFER, pointer: errorBuffer)
        try set(CURLOPT_URL, string: request.url.absoluteString)
        try setSafetyOptions()
        try setMethodAndBody(request)
        try set(CURLOPT_HTTPHEADER, list: headers)
        try setCallbacks(collector)
    }

    /// Options that protect the user whatever the request: limits, verification, where redirects may go.
    private func setSafetyOptions() throws(TransportError) {
        try set(CURLOPT_NOSIGNAL, 1)  // timeouts must not use SIGALRM in a multi-threaded process
        try set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        try set(CURLOPT_FOLLOWLOCATION, 1)
        try set(CURLOPT_MAXREDIRS, Self.maxRedirects)
        try set(CURLOPT_REDIR_PROTOCOLS_STR, string: "http,https")
        try set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout))
        try set(CURLOPT_TIMEOUT_MS, Self.milliseconds(configuration.requestTimeout))
        try set(CURLOPT_MAXFILESIZE_LARGE, offset: curl_off_t(configuration.maxResponseSize))
        try set(CURLOPT_ACCEPT_ENCODING, string: "")  // "" = every encoding this libcurl can decode
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = configuration.caFile { try set(CURLOPT_CAINFO, string: caFile) }
        try set(CURLOPT_USERAGENT, string: configuration.userAgent)
    }

    private func setMethodAndBody(_ request: TransportRequest) throws(TransportError) {
        let method = request.method.uppercased()
        switch (method, request.body) {
        case ("GET", nil):
            try set(CURLOPT_HTTPGET, 1)
        case ("HEAD", nil):
            try set(CURLOPT_NOBODY, 1)
        case (_, nil) where method != "POST":
            try set(CURLOPT_CUSTOMREQUEST, string: method)
        default:
            // POST without a body still sends `Content-Length: 0`; other methods carry a body the same way.
            try setBody(request.body ?? Data())
            if method != "POST" { try set(CURLOPT_CUSTOMREQUEST, string: method) }
        }
    }

    /// The size goes first so curl copies exactly those bytes instead of stopping at the first NUL.
    private func setBody(_ body: Data) throws(TransportError) {
        try set(CURLOPT_POSTFIELDSIZE_LARGE, offset: curl_off_t(body.count))
        let code = body.withUnsafeBytes { bytes in
            // COPYPOSTFIELDS copies the bytes at once, so the buffer only has to live through this call.
            let empty: StaticString = ""
            let start = bytes.baseAddress ?? UnsafeRawPointer(empty.utf8Start)
            return briefing_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: start))
        }
        try check(code, option: "CURLOPT_COPYPOSTFIELDS")
    }

    private func setCallbacks(_ collector: ResponseCollector) throws(TransportError) {
        let context = Unmanaged.passUnretained(collector).toOpaque()
        try check(briefing_curl_setopt_write_callback(handle, receiveBody), option: "CURLOPT_WRITEFUNCTION")
        try set(CURLOPT_WRITEDATA, pointer: context)
        try check(briefing_curl_setopt_header_callback(handle, receiveHeader), option: "CURLOPT_HEADERFUNCTION")
        try set(CURLOPT_HEADERDATA, pointer: context)
        // The progress callback is where a cancelled Task stops the transfer (curl calls it about once a
        // second while idle, and on every chunk).
        try check(briefing_curl_setopt_xferinfo_callback(handle, checkCancelled), option: "CURLOPT_XFERINFOFUNCTION")
        try set(CURLOPT_XFERINFODATA, pointer: context)
        try set(CURLOPT_NOPROGRESS, 0)
    }

    /// `Expect:` with no value stops curl from waiting for `100 Continue` before larger bodies, a round
    /// trip that servers without support for it turn into a one-second stall.
    private func headerList(for request: TransportRequest) -> UnsafeMutablePointer<curl_slist>? {
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for (name, value) in request.headers {
            // "Name:" would tell curl to remove the header; "Name;" is its spelling for an empty value.
            list = curl_slist_append(list, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        return list
    }

    private func responseCode() -> Int {
        var code = 0
        _ = briefing_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    private func failure(_ code: CURLcode, collector: ResponseCollector, request: TransportRequest) -> TransportError {
        let buffered = String(cString: errorBuffer)
        let detail = buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered
        return .fromCurl(code, detail: "\(detail) (\(request.method) \(RequestCheck.redacted(request.url)))",
                         responseLimit: configuration.maxResponseSize, bodyExceededLimit: collector.exceededLimit)
    }

    /// curl reads a timeout of 0 as "never"; a configured zero or negative value still gets a bound.
    private static func milliseconds(_ seconds: TimeInterval) -> Int {
        max(1, Int((seconds * 1000).rounded()))
    }

    // MARK: Typed setopt

    private func set(_ option: CURLoption, _ value: Int) throws(TransportError) {
        try check(briefing_curl_setopt_long(handle, option, value), option: "\(option.rawValue)")
    }

    private func set(_ option: CURLoption, string value: String) throws(TransportError) {
        try check(briefing_curl_setopt_string(handle, option, value), option: "\(option.rawValue)")
    }

    private func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer) throws(TransportError) {
        try check(briefing_curl_setopt_pointer(handle, option, value), option: "\(option.rawValue)")
    }

    private func set(_ option: CURLoption, pointer value: UnsafeMutablePointer<CChar>) throws(TransportError) {
        try set(option, pointer: UnsafeMutableRawPointer(value))
    }

    private func set(_ option: CURLoption, offset value: curl_off_t) throws(TransportError) {
        try check(briefing_curl_setopt_off_t(handle, option, value), option: "\(option.rawValue)")
    }

    private func set(_ option: CURLoption, list value: UnsafeMutablePointer<curl_slist>?) throws(TransportError) {
        try check(briefing_curl_setopt_slist(handle, option, value), option: "\(option.rawValue)")
    }

    /// A rejected option means this libcurl lacks something the transport relies on (a protocol filter,
    /// a decoder); sending without it would be less safe than not sending.
    private func check(_ code: CURLcode, option: String) throws(TransportError) {
        guard code == CURLE_OK else {
            let version = String(cString: curl_version())
            throw .refused("\(version) rejected option \(option) (\(String(cString: curl_easy_strerror(code)))); "
                + "Briefing needs libcurl 7.85 or newer with HTTP and TLS support")
        }
    }
}

/// curl_global_init is not thread-safe; a global `let` runs it exactly once, guarded by the Swift runtime.
private let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

private let receiveBody: briefing_curl_data_callback = { buffer, size, count, context in
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    // Returning fewer bytes than offered makes curl abort the transfer with CURLE_WRITE_ERROR.
    return collector.appendBody(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : 0
}

private let checkCancelled: briefing_curl_xferinfo_callback = { context, _, _, _, _ in
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
    return collector.cancellation.isCancelled ? 1 : 0
}

private let receiveHeader: briefing_curl_data_callback = { buffer, size, count, context in
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    collector.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: length))
    return length
}
