import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import BriefingSync

/// The `Transport` an app on an Apple platform plugs in: URLSession, with the same limits as the libcurl
/// transport where URLSession allows them.
///
/// ```swift
/// let client = try BriefingClient.open(at: path, transport: URLSessionTransport(), bearerToken: token)
/// ```
/// Like `CurlTransport`: TLS is always verified; redirects are followed up to
/// `TransportConfiguration.maxRedirects`, only to http or https, and the `Authorization` header never
/// follows a redirect to another origin; bodies are decompressed by URLSession and capped at
/// `maxResponseSize` while they arrive; cancelling the calling Task cancels the request.
/// What differs (see the DocC article "Embedding Briefing in an app"):
/// - `connectTimeout` is not separate: URLSession bounds the whole request by `requestTimeout`.
/// - `caFile` (a private CA) is honoured on Apple platforms only, where the server-trust challenge reaches
///   the delegate; on Linux FoundationNetworking never delivers it, so a transport made with a `caFile` there
///   refuses every request (`.tls`) rather than silently trusting the system's roots instead.
public final class URLSessionTransport: Transport, Sendable {
    public let configuration: TransportConfiguration
    private let session: URLSession
    private let tasks: TaskTable

    public init(configuration: TransportConfiguration = TransportConfiguration()) {
        self.configuration = configuration
        let settings = URLSessionConfiguration.ephemeral
        settings.timeoutIntervalForRequest = configuration.requestTimeout
        settings.timeoutIntervalForResource = configuration.requestTimeout
        settings.requestCachePolicy = .reloadIgnoringLocalCacheData
        settings.urlCache = nil
        settings.httpCookieStorage = nil
        settings.httpShouldSetCookies = false
        tasks = TaskTable(configuration: configuration)
        session = URLSession(configuration: settings, delegate: tasks, delegateQueue: nil)
    }

    deinit { session.finishTasksAndInvalidate() }

    public func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        try RequestCheck.validate(request)
        guard let scheme = request.url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw .refused("only http and https URLs are sent (\(RequestCheck.redacted(request.url)))")
        }
        #if !canImport(Security)
        if configuration.caFile != nil {
            throw .tls("a private CA file is not supported by URLSession on this platform (\(RequestCheck.redacted(request.url)))")
        }
        #endif
        if Task.isCancelled { throw .cancelled }
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method.uppercased()
        urlRequest.httpBody = request.body ?? (request.method.uppercased() == "POST" ? Data() : nil)
        urlRequest.setValue(configuration.userAgent, forHTTPHeaderField: "User-Agent")
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        let file = try request.openResponseBodyFile()
        let task = session.dataTask(with: urlRequest)
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<TransportResponse, TransportError>, Never>) in
                tasks.start(task, for: request, file: file, continuation: continuation)
            }
        } onCancel: {
            task.cancel()
        }
        return try outcome.get()
    }
}

/// The session delegate: collects each task's response and body, enforces the size and redirect limits, and
/// resumes the waiting `send` when the task completes.
///
/// `@unchecked Sendable`: URLSession calls the delegate on its own serial delegate queue, and `send` registers
/// tasks from any thread; the one mutable field, `running`, is only touched under `lock`.
private final class TaskTable: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private struct Running {
        var request: TransportRequest
        var continuation: CheckedContinuation<Result<TransportResponse, TransportError>, Never>
        var body = Data()
        /// Where the body goes instead of `body`, when the request named a file.
        var file: FileHandle?
        var received = 0
        var redirects = 0
        var failure: TransportError?
    }

    let configuration: TransportConfiguration
    private let lock = NSLock()
    private var running: [Int: Running] = [:]

    init(configuration: TransportConfiguration) {
        self.configuration = configuration
    }

    func start(_ task: URLSessionDataTask, for request: TransportRequest, file: FileHandle?,
               continuation: CheckedContinuation<Result<TransportResponse, TransportError>, Never>) {
        lock.withLock { running[task.taskIdentifier] = Running(request: request, continuation: continuation, file: file) }
        task.resume()
    }

    private func update(_ task: URLSessionTask, _ change: (inout Running) -> Void) {
        lock.withLock {
            guard var entry = running[task.taskIdentifier] else { return }
            change(&entry)
            running[task.taskIdentifier] = entry
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        var abandon = false
        update(dataTask) { entry in
            guard entry.failure == nil else { return }
            if entry.received + data.count > configuration.maxResponseSize {
                entry.failure = .responseTooLarge(limit: configuration.maxResponseSize)
                abandon = true
            } else if let file = entry.file {
                if (try? file.write(contentsOf: data)) == nil {
                    entry.failure = .interrupted("cannot write the response body to \(entry.request.responseBodyFile?.path ?? "a file")")
                    abandon = true
                }
            } else {
                entry.body.append(data)
            }
            entry.received += data.count
        }
        if abandon { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        var next: URLRequest? = newRequest
        update(task) { entry in
            entry.redirects += 1
            entry.body = Data()
            entry.received = 0
            _ = try? entry.file?.truncate(atOffset: 0)
            let scheme = newRequest.url?.scheme?.lowercased()
            if entry.redirects > TransportConfiguration.maxRedirects {
                entry.failure = .refused("more than \(TransportConfiguration.maxRedirects) redirects (\(RequestCheck.redacted(entry.request.url)))")
                next = nil
            } else if scheme != "http" && scheme != "https" {
                entry.failure = .refused("redirect to a \(scheme ?? "relative") URL refused (\(RequestCheck.redacted(entry.request.url)))")
                next = nil
            } else if let target = newRequest.url, !Self.sameOrigin(target, entry.request.url) {
                // The bearer token is for the server it was given to, never for a host a redirect names.
                next?.setValue(nil, forHTTPHeaderField: "Authorization")
            }
        }
        // Without a next request the redirect response itself completes the task; its recorded failure is
        // what `send` throws.
        completionHandler(next)
    }

    #if canImport(Security)
    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        guard challenge.protectionSpace.authenticationMethod == NSURLAuthenticationMethodServerTrust,
              let trust = challenge.protectionSpace.serverTrust, let caFile = configuration.caFile else {
            completionHandler(.performDefaultHandling, nil)
            return
        }
        if PrivateCA.evaluate(trust, anchorsFrom: caFile) {
            completionHandler(.useCredential, URLCredential(trust: trust))
        } else {
            completionHandler(.cancelAuthenticationChallenge, nil)
        }
    }
    #endif

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        guard let entry = lock.withLock({ running.removeValue(forKey: task.taskIdentifier) }) else { return }
        try? entry.file?.close()
        if let failure = entry.failure {
            entry.continuation.resume(returning: .failure(failure))
        } else if let error {
            entry.continuation.resume(returning: .failure(Self.map(error, entry.request)))
        } else if let response = task.response as? HTTPURLResponse {
            var headers: [String: String] = [:]
            for (name, value) in response.allHeaderFields {
                guard let name = name as? String, let value = value as? String else { continue }
                headers[name.lowercased()] = value
            }
            entry.continuation.resume(returning: .success(TransportResponse(
                status: response.statusCode, headers: headers, body: entry.body,
                bodyFile: entry.file == nil ? nil : entry.request.responseBodyFile, bodySize: entry.received)))
        } else {
            entry.continuation.resume(returning: .failure(.interrupted("no HTTP response (\(RequestCheck.redacted(entry.request.url)))")))
        }
    }

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased() && a.port == b.port
    }

    /// URLSession's errors as the sync core's; the message names the request without credentials.
    static func map(_ error: Error, _ request: TransportRequest) -> TransportError {
        let error = error as NSError
        let detail = "\(error.localizedDescription) (\(request.method) \(RequestCheck.redacted(request.url)))"
        // FoundationNetworking reports some TLS failures (a self-signed certificate, say) with libcurl's text
        // under an unspecific code; that text is the only sign, and a TLS failure must never be retried.
        let text = error.localizedDescription
        let soundsLikeTLS = text.contains("SSL") || text.localizedCaseInsensitiveContains("certificate")
        // It also hands over NSErrors of NSURLErrorDomain that do not always bridge to URLError.
        guard error.domain == NSURLErrorDomain else { return soundsLikeTLS ? .tls(detail) : .interrupted(detail) }
        let code = URLError.Code(rawValue: error.code)
        switch code {
        case .cancelled: return .cancelled
        case .timedOut: return .timedOut(detail)
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet, .cannotLoadFromNetwork:
            return .unreachable(detail)
        case .secureConnectionFailed, .serverCertificateHasBadDate, .serverCertificateUntrusted,
             .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid, .clientCertificateRejected,
             .clientCertificateRequired:
            return .tls(detail)
        case .httpTooManyRedirects, .redirectToNonExistentLocation, .unsupportedURL, .badURL:
            return .refused(detail)
        default:
            return soundsLikeTLS ? .tls(detail) : .interrupted(detail)
        }
    }
}
