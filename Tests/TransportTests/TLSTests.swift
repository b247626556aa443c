import BriefingSync
import Foundation
import Testing

/// Certificate verification against an HTTPS fault server with a freshly made self-signed certificate.
@Suite(.serialized, .enabled(if: SelfSignedCertificate.opensslAvailable, "needs the openssl command to make a certificate"))
struct TLSTests {
    let certificate: SelfSignedCertificate
    let server: FaultServer

    init() throws {
        certificate = try SelfSignedCertificate()
        server = try FaultServer(certificate: certificate.certificatePath, key: certificate.keyPath)
    }

    @Test(arguments: TransportKind.allCases)
    func selfSignedCertificateIsRejectedWithoutCAFile(kind: TransportKind) async {
        let error = await #expect(throws: TransportError.self) { try await kind.make().send(TransportRequest(url: server.url("/echo"))) }
        #expect(error?.kind == .tls, "\(String(describing: error))")
    }

    @Test func curlTrustsTheCertificateFromTheCAFile() async throws {
        let transport = TransportKind.curl.make(.init(caFile: certificate.certificatePath))
        let response = try await transport.send(TransportRequest(url: server.url("/echo")))
        #expect(response.status == 200)
        #expect(try Echo(response.body).method == "GET")
    }

    /// URLSession on Linux (FoundationNetworking) never hands the server-trust challenge to the delegate, so
    /// a private CA cannot be added there; the transport refuses instead of silently trusting the system roots.
    @Test func urlSessionOnLinuxRefusesAPrivateCAFileInsteadOfIgnoringIt() async {
        let transport = TransportKind.urlSession.make(.init(caFile: certificate.certificatePath))
        let error = await #expect(throws: TransportError.self) { try await transport.send(TransportRequest(url: server.url("/echo"))) }
        #expect(error?.kind == .tls)
        #expect(error?.message.contains("CA file") == true)
    }

    @Test func curlVerifiesTheHostNameEvenWithATrustedCertificate() async {
        let transport = TransportKind.curl.make(.init(caFile: certificate.certificatePath))
        let error = await #expect(throws: TransportError.self) {
            try await transport.send(TransportRequest(url: server.url("/echo", host: "localhost")))
        }
        #expect(error?.kind == .tls)
    }

    @Test(arguments: TransportKind.allCases)
    func theSystemRootsDoNotTrustASelfSignedCertificateForAnyHostName(kind: TransportKind) async {
        let error = await #expect(throws: TransportError.self) {
            try await kind.make().send(TransportRequest(url: server.url("/echo", host: "localhost")))
        }
        #expect(error?.kind == .tls)
    }
}

/// A certificate and key for 127.0.0.1 in a temporary directory, made by `openssl req -x509`.
final class SelfSignedCertificate {
    static let opensslAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")

    let directory: URL
    var certificatePath: String { directory.appendingPathComponent("cert.pem").path }
    var keyPath: String { directory.appendingPathComponent("key.pem").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("briefing-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                             "-keyout", keyPath, "-out", certificatePath]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else {
            throw FaultServerError(message: "openssl req failed with status \(openssl.terminationStatus)")
        }
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}
