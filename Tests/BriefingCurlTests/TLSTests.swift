import BriefingCurl
import BriefingSync
import Foundation
import Testing

/// Certificate verification against an HTTPS fault server with a freshly made self-signed certificate.
@Suite(.enabled(if: SelfSignedCertificate.opensslAvailable, "needs the openssl command to make a certificate"))
struct TLSTests {
    let certificate: SelfSignedCertificate
    let server: FaultServer

    init() throws {
        certificate = try SelfSignedCertificate()
        server = try FaultServer(certificate: certificate.certificatePath, key: certificate.keyPath)
    }

    @Test func selfSignedCertificateIsRejectedWithoutCAFile() {
        let error = #expect(throws: TransportError.self) { try CurlTransport().send(TransportRequest(url: server.url("/echo"))) }
        #expect(error?.kind == .tls)
        #expect(error?.message.contains("certificate") == true)
    }

    @Test func certificateFromTheCAFileIsTrusted() throws {
        let transport = CurlTransport(configuration: .init(caFile: certificate.certificatePath))
        let response = try transport.send(TransportRequest(url: server.url("/echo")))
        #expect(response.status == 200)
        #expect(try Echo(response.body).method == "GET")
    }

    @Test func hostNameIsVerifiedEvenWithATrustedCertificate() {
        let transport = CurlTransport(configuration: .init(caFile: certificate.certificatePath))
        let error = #expect(throws: TransportError.self) {
            try transport.send(TransportRequest(url: server.url("/echo", host: "localhost")))
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
