import BriefingCurl
import BriefingSync
import Foundation
import Testing

/// CurlTransport against a real, misbehaving HTTP server on loopback.
struct CurlTransportTests {
    let server: FaultServer
    let transport = CurlTransport()

    init() throws {
        server = try FaultServer()
    }

    @Test func getReturnsStatusHeadersAndBodyAndSendsRequestHeaders() throws {
        let response = try transport.send(TransportRequest(url: server.url("/echo?x=1"), headers: [("X-Briefing-Test", "42")]))
        let echo = try Echo(response.body)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(echo.method == "GET")
        #expect(echo.path == "/echo?x=1")
        #expect(echo.headers["x-briefing-test"] == "42")
    }

    @Test func postSendsBinaryBodyIntactWithItsLength() throws {
        let body = Data([0, 1, 2, 0, 255]) + Data(#"{"k":"v"}"#.utf8)
        let request = TransportRequest(method: "POST", url: server.url("/echo"),
                                  headers: [("Content-Type", "application/octet-stream")], body: body)
        let echo = try Echo(transport.send(request).body)
        #expect(echo.method == "POST")
        #expect(echo.body == body)
        #expect(echo.headers["content-length"] == "\(body.count)")
        #expect(echo.headers["content-type"] == "application/octet-stream")
        #expect(echo.headers["expect"] == nil)
    }

    @Test func postWithoutBodySendsZeroLength() throws {
        let echo = try Echo(transport.send(TransportRequest(method: "POST", url: server.url("/echo"))).body)
        #expect(echo.method == "POST")
        #expect(echo.headers["content-length"] == "0")
    }

    @Test(arguments: ["PUT", "PATCH", "DELETE"])
    func otherMethodsAreSentAsGivenWithTheirBody(method: String) throws {
        let request = TransportRequest(method: method, url: server.url("/echo"), body: Data("payload".utf8))
        let echo = try Echo(transport.send(request).body)
        #expect(echo.method == method)
        #expect(echo.body == Data("payload".utf8))
    }

    @Test func headReturnsHeadersWithoutBody() throws {
        let response = try transport.send(TransportRequest(method: "HEAD", url: server.url("/big?bytes=5000")))
        #expect(response.status == 200)
        #expect(response.header("content-length") == "5000")
        #expect(response.body.isEmpty)
    }

    @Test func gzipBodyIsDecodedTransparently() throws {
        let response = try transport.send(TransportRequest(url: server.url("/gzip")))
        #expect(response.header("content-encoding") == "gzip")
        #expect(response.body == Data(String(repeating: "Briefing gzip test line.\n", count: 400).utf8))
    }

    @Test func consecutiveRequestsReuseOneConnection() throws {
        let first = try Echo(transport.send(TransportRequest(url: server.url("/echo"))).body)
        let second = try Echo(transport.send(TransportRequest(method: "POST", url: server.url("/echo"), body: Data("x".utf8))).body)
        #expect(second.clientPort == first.clientPort)
        #expect(first.requestOnConnection == 1)
        #expect(second.requestOnConnection == 2)
    }

    @Test func serverSlowerThanTheRequestTimeoutIsTimedOut() {
        let transport = CurlTransport(configuration: .init(requestTimeout: 1))
        let started = Date()
        let error = #expect(throws: TransportError.self) { try transport.send(TransportRequest(url: server.url("/slow?seconds=5"))) }
        #expect(error?.kind == .timedOut)
        #expect(Date().timeIntervalSince(started) < 4)
    }

    @Test func connectionClosedWithoutAnswerIsInterrupted() {
        let error = #expect(throws: TransportError.self) { try transport.send(TransportRequest(url: server.url("/drop"))) }
        #expect(error?.kind == .interrupted)
    }

    @Test func bodyShorterThanContentLengthIsInterrupted() {
        let error = #expect(throws: TransportError.self) { try transport.send(TransportRequest(url: server.url("/truncate"))) }
        #expect(error?.kind == .interrupted)
        #expect(error?.message.contains("transfer closed") == true)
    }

    @Test func redirectLoopIsRefusedAfterTheLimit() {
        let error = #expect(throws: TransportError.self) { try transport.send(TransportRequest(url: server.url("/loop"))) }
        #expect(error?.kind == .refused)
        #expect(error?.message.contains("\(CurlTransport.maxRedirects)") == true)
    }

    @Test func redirectIsFollowedAndOnlyTheFinalResponseHeadersAreKept() throws {
        let response = try transport.send(TransportRequest(url: server.url("/redirect")))
        #expect(response.status == 200)
        #expect(try Echo(response.body).path == "/echo?redirected=1")
        #expect(response.header("x-redirect-hop") == nil)
        #expect(response.header("location") == nil)
    }

    @Test func redirectToAnotherSchemeIsRefused() {
        let url = server.url("/redirect-to?location=ftp://127.0.0.1/feed.json")
        let error = #expect(throws: TransportError.self) { try transport.send(TransportRequest(url: url)) }
        #expect(error?.kind == .refused)
    }

    @Test func nonHTTPURLIsRefused() {
        let error = #expect(throws: TransportError.self) {
            try transport.send(TransportRequest(url: URL(string: "file:///etc/passwd")!))
        }
        #expect(error?.kind == .refused)
    }

    @Test(arguments: ["/big?bytes=300000", "/big?bytes=300000&gzip=1", "/big-chunked?bytes=300000"])
    func bodyOverTheLimitIsResponseTooLargeAndTheTransportStaysUsable(path: String) throws {
        let transport = CurlTransport(configuration: .init(maxResponseSize: 100_000))
        #expect(throws: TransportError.responseTooLarge(limit: 100_000)) { try transport.send(TransportRequest(url: server.url(path))) }
        #expect(try transport.send(TransportRequest(url: server.url("/echo"))).status == 200)
    }

    @Test func bodyExactlyAtTheLimitIsAccepted() throws {
        let transport = CurlTransport(configuration: .init(maxResponseSize: 100_000))
        #expect(try transport.send(TransportRequest(url: server.url("/big-chunked?bytes=100000"))).body.count == 100_000)
    }

    @Test func closedPortIsUnreachable() {
        let error = #expect(throws: TransportError.self) {
            try transport.send(TransportRequest(url: URL(string: "http://127.0.0.1:1/feed")!))
        }
        #expect(error?.kind == .unreachable)
    }

    @Test func errorMessagesNeverCarryCredentials() {
        let url = URL(string: "http://reader:hunter2@127.0.0.1:1/pull?token=query-secret")!
        let request = TransportRequest(url: url, headers: [("Authorization", "Bearer header-secret")])
        let error = #expect(throws: TransportError.self) { try transport.send(request) }
        let message = error?.message ?? ""
        #expect(message.contains("127.0.0.1"))
        for secret in ["hunter2", "query-secret", "header-secret", "reader"] {
            #expect(!message.contains(secret))
        }
    }

    @Test func headerValueWithLineBreakIsRefusedBeforeSending() throws {
        let request = TransportRequest(url: server.url("/echo"), headers: [("X-Note", "a\r\nX-Injected: 1")])
        let error = #expect(throws: TransportError.self) { try transport.send(request) }
        #expect(error?.kind == .refused)
        // Nothing reached the server: the next request is the first one on a fresh connection.
        #expect(try Echo(transport.send(TransportRequest(url: server.url("/echo"))).body).requestOnConnection == 1)
    }
}

/// The case of a `TransportError` without its message, so tests can compare outcomes directly.
enum TransportErrorKind {
    case unreachable, timedOut, interrupted, tls, responseTooLarge, refused
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
        }
    }

    var message: String {
        switch self {
        case .unreachable(let text), .timedOut(let text), .interrupted(let text), .tls(let text), .refused(let text): text
        case .responseTooLarge(let limit): "larger than \(limit) bytes"
        }
    }
}
