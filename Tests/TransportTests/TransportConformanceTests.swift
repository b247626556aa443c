import BriefingCurl
import BriefingSync
import BriefingURLSession
import Foundation
import Testing

/// The transports the sync core can run on; every test in `TransportConformanceTests` runs on each.
enum TransportKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case curl, urlSession

    func make(_ configuration: TransportConfiguration = TransportConfiguration()) -> any Transport {
        switch self {
        case .curl: CurlTransport(configuration: configuration)
        case .urlSession: URLSessionTransport(configuration: configuration)
        }
    }

    var testDescription: String { rawValue }
}

/// One suite for every `Transport`: the same requests against a real, misbehaving HTTP server on loopback.
/// Where URLSession cannot do what libcurl does, the test says so in its name and checks what it does do.
/// Serialized: the timing assertions must not include waiting for a thread behind other tests.
@Suite(.serialized)
struct TransportConformanceTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer()
    }

    @Test(arguments: TransportKind.allCases)
    func getReturnsStatusHeadersAndBodyAndSendsRequestHeaders(kind: TransportKind) async throws {
        let transport = kind.make()
        let response = try await transport.send(TransportRequest(url: server.url("/echo?x=1"), headers: [("X-Briefing-Test", "42")]))
        let echo = try Echo(response.body)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(echo.method == "GET")
        #expect(echo.path == "/echo?x=1")
        #expect(echo.headers["x-briefing-test"] == "42")
    }

    @Test(arguments: TransportKind.allCases)
    func postSendsBinaryBodyIntactWithItsLength(kind: TransportKind) async throws {
        let transport = kind.make()
        let body = Data([0, 1, 2, 0, 255]) + Data(#"{"k":"v"}"#.utf8)
        let request = TransportRequest(method: "POST", url: server.url("/echo"),
                                  headers: [("Content-Type", "application/octet-stream")], body: body)
        let echo = try await Echo(transport.send(request).body)
        #expect(echo.method == "POST")
        #expect(echo.body == body)
        #expect(echo.headers["content-length"] == "\(body.count)")
        #expect(echo.headers["content-type"] == "application/octet-stream")
        #expect(echo.headers["expect"] == nil)
    }

    @Test(arguments: TransportKind.allCases)
    func postWithoutBodySendsZeroLength(kind: TransportKind) async throws {
        let transport = kind.make()
        let echo = try await Echo(transport.send(TransportRequest(method: "POST", url: server.url("/echo"))).body)
        #expect(echo.method == "POST")
        #expect(echo.headers["content-length"] == "0")
    }

    @Test(arguments: TransportKind.allCases, ["PUT", "PATCH", "DELETE"])
    func otherMethodsAreSentAsGivenWithTheirBody(kind: TransportKind, method: String) async throws {
        let transport = kind.make()
        let request = TransportRequest(method: method, url: server.url("/echo"), body: Data("payload".utf8))
        let echo = try await Echo(transport.send(request).body)
        #expect(echo.method == method)
        #expect(echo.body == Data("payload".utf8))
    }

    @Test(arguments: TransportKind.allCases)
    func headReturnsHeadersWithoutBody(kind: TransportKind) async throws {
        let transport = kind.make()
        let response = try await transport.send(TransportRequest(method: "HEAD", url: server.url("/big?bytes=5000")))
        #expect(response.status == 200)
        #expect(response.header("content-length") == "5000")
        #expect(response.body.isEmpty)
    }

    @Test(arguments: TransportKind.allCases)
    func gzipBodyIsDecodedTransparently(kind: TransportKind) async throws {
        let transport = kind.make()
        let response = try await transport.send(TransportRequest(url: server.url("/gzip")))
        #expect(response.header("content-encoding") == "gzip")
        #expect(response.body == Data(String(repeating: "Briefing gzip test line.\n", count: 400).utf8))
    }

    @Test(arguments: TransportKind.allCases)
    func consecutiveRequestsReuseOneConnection(kind: TransportKind) async throws {
        let transport = kind.make()
        let first = try await Echo(transport.send(TransportRequest(url: server.url("/echo"))).body)
        let second = try await Echo(transport.send(TransportRequest(method: "POST", url: server.url("/echo"), body: Data("x".utf8))).body)
        #expect(second.clientPort == first.clientPort)
        #expect(first.requestOnConnection == 1)
        #expect(second.requestOnConnection == 2)
    }

    @Test(arguments: TransportKind.allCases)
    func serverSlowerThanTheRequestTimeoutIsTimedOut(kind: TransportKind) async throws {
        let transport = kind.make(.init(requestTimeout: 1))
        let started = Date()
        let error = await #expect(throws: TransportError.self) { try await transport.send(TransportRequest(url: server.url("/slow?seconds=5"))) }
        #expect(error?.kind == .timedOut)
        #expect(Date().timeIntervalSince(started) < 4)
    }

    @Test(arguments: TransportKind.allCases)
    func connectionClosedWithoutAnswerIsInterrupted(kind: TransportKind) async throws {
        let transport = kind.make()
        let error = await #expect(throws: TransportError.self) { try await transport.send(TransportRequest(url: server.url("/drop"))) }
        #expect(error?.kind == .interrupted)
    }

    @Test(arguments: TransportKind.allCases)
    func bodyShorterThanContentLengthIsInterrupted(kind: TransportKind) async throws {
        let transport = kind.make()
        let error = await #expect(throws: TransportError.self) { try await transport.send(TransportRequest(url: server.url("/truncate"))) }
        #expect(error?.kind == .interrupted)
        #expect(error?.message.contains("transfer closed") == true)
    }

    @Test(arguments: TransportKind.allCases)
    func redirectLoopIsRefusedAfterTheLimit(kind: TransportKind) async throws {
        let transport = kind.make()
        let error = await #expect(throws: TransportError.self) { try await transport.send(TransportRequest(url: server.url("/loop"))) }
        #expect(error?.kind == .refused)
        #expect(error?.message.contains("\(TransportConfiguration.maxRedirects)") == true)
    }

    @Test(arguments: TransportKind.allCases)
    func redirectIsFollowedAndOnlyTheFinalResponseHeadersAreKept(kind: TransportKind) async throws {
        let transport = kind.make()
        let response = try await transport.send(TransportRequest(url: server.url("/redirect")))
        #expect(response.status == 200)
        #expect(try Echo(response.body).path == "/echo?redirected=1")
        #expect(response.header("x-redirect-hop") == nil)
        #expect(response.header("location") == nil)
    }

    @Test(arguments: TransportKind.allCases)
    func redirectToAnotherSchemeIsRefused(kind: TransportKind) async throws {
        let transport = kind.make()
        let url = server.url("/redirect-to?location=ftp://127.0.0.1/feed.json")
        let error = await #expect(throws: TransportError.self) { try await transport.send(TransportRequest(url: url)) }
        #expect(error?.kind == .refused)
    }

    @Test(arguments: TransportKind.allCases)
    func nonHTTPURLIsRefused(kind: TransportKind) async throws {
        let transport = kind.make()
        let error = await #expect(throws: TransportError.self) {
            try await transport.send(TransportRequest(url: URL(string: "file:///etc/passwd")!))
        }
        #expect(error?.kind == .refused)
    }

    @Test(arguments: TransportKind.allCases, ["/big?bytes=300000", "/big?bytes=300000&gzip=1", "/big-chunked?bytes=300000"])
    func bodyOverTheLimitIsResponseTooLargeAndTheTransportStaysUsable(kind: TransportKind, path: String) async throws {
        let transport = kind.make(.init(maxResponseSize: 100_000))
        await #expect(throws: TransportError.responseTooLarge(limit: 100_000)) { try await transport.send(TransportRequest(url: server.url(path))) }
        #expect(try await transport.send(TransportRequest(url: server.url("/echo"))).status == 200)
    }

    @Test(arguments: TransportKind.allCases)
    func bodyExactlyAtTheLimitIsAccepted(kind: TransportKind) async throws {
        let transport = kind.make(.init(maxResponseSize: 100_000))
        #expect(try await transport.send(TransportRequest(url: server.url("/big-chunked?bytes=100000"))).body.count == 100_000)
    }

    @Test(arguments: TransportKind.allCases)
    func closedPortIsUnreachable(kind: TransportKind) async throws {
        let transport = kind.make()
        let error = await #expect(throws: TransportError.self) {
            try await transport.send(TransportRequest(url: URL(string: "http://127.0.0.1:1/feed")!))
        }
        #expect(error?.kind == .unreachable)
    }

    @Test(arguments: TransportKind.allCases)
    func errorMessagesNeverCarryCredentials(kind: TransportKind) async throws {
        let transport = kind.make()
        let url = URL(string: "http://reader:hunter2@127.0.0.1:1/pull?token=query-secret")!
        let request = TransportRequest(url: url, headers: [("Authorization", "Bearer header-secret")])
        let error = await #expect(throws: TransportError.self) { try await transport.send(request) }
        let message = error?.message ?? ""
        #expect(message.contains("127.0.0.1"))
        for secret in ["hunter2", "query-secret", "header-secret", "reader"] {
            #expect(!message.contains(secret))
        }
    }

    @Test(arguments: TransportKind.allCases)
    func headerValueWithLineBreakIsRefusedBeforeSending(kind: TransportKind) async throws {
        let transport = kind.make()
        let request = TransportRequest(url: server.url("/echo"), headers: [("X-Note", "a\r\nX-Injected: 1")])
        let error = await #expect(throws: TransportError.self) { try await transport.send(request) }
        #expect(error?.kind == .refused)
        // Nothing reached the server: the next request is the first one on a fresh connection.
        #expect(try await Echo(transport.send(TransportRequest(url: server.url("/echo"))).body).requestOnConnection == 1)
    }
}

/// The case of a `TransportError` without its message, so tests can compare outcomes directly.
enum TransportErrorKind {
    case unreachable, timedOut, interrupted, tls, responseTooLarge, refused, cancelled
}

extension TransportError {
    var kind: TransportErrorKind {
        switch self {
        case .unreachable: .unreachable
        case .timedOut: .timedOut
        case .interrupted: .interrupted
        case .tls: .tls
        case .responseTooLarge: .responseTooLarge
        case .refused: .refused
        case .cancelled: .cancelled
        }
    }

    var message: String {
        switch self {
        case .unreachable(let text), .timedOut(let text), .interrupted(let text), .tls(let text), .refused(let text): text
        case .responseTooLarge(let limit): "larger than \(limit) bytes"
        case .cancelled: "cancelled"
        }
    }
}
