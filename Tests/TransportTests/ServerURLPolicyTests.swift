import BriefingSync
import Foundation
import Testing

struct ServerURLPolicyTests {
    @Test(arguments: [
        ("http://127.0.0.1:8080/", false, ServerURLPolicy.Verdict.loopbackHTTP),
        ("http://localhost/", false, .loopbackHTTP),
        ("http://LocalHost:9000/feed", false, .loopbackHTTP),
        ("http://[::1]:8080/", false, .loopbackHTTP),
        ("http://127.5.6.7/", false, .loopbackHTTP),
        ("https://example.com/", false, .https),
        ("https://192.0.2.1:8443/feed.json", false, .https),
        ("HTTPS://EXAMPLE.COM/", false, .https),
        ("http://example.com/", true, .insecureHTTP),
        ("http://127.0.0.1/", true, .loopbackHTTP),
    ])
    func acceptedURLs(url: String, allowInsecureHTTP: Bool, verdict: ServerURLPolicy.Verdict) throws {
        #expect(try ServerURLPolicy.check(URL(string: url)!, allowInsecureHTTP: allowInsecureHTTP) == verdict)
    }

    @Test(arguments: [
        ("http://example.com/", false, ServerURLError.insecureHTTP(host: "example.com")),
        ("http://128.0.0.1/", false, .insecureHTTP(host: "128.0.0.1")),
        ("http://localhost.example.com/", false, .insecureHTTP(host: "localhost.example.com")),
        ("ftp://127.0.0.1/feed", false, .unsupportedScheme("ftp")),
        ("ftp://example.com/feed", true, .unsupportedScheme("ftp")),
        ("file:///tmp/feed.json", true, .unsupportedScheme("file")),
        ("https:///feed", false, .missingHost("https:///feed")),
    ])
    func refusedURLs(url: String, allowInsecureHTTP: Bool, error: ServerURLError) {
        #expect(throws: error) { try ServerURLPolicy.check(URL(string: url)!, allowInsecureHTTP: allowInsecureHTTP) }
    }

    @Test func refusalExplainsTheRiskAndTheWayOut() {
        let message = ServerURLError.insecureHTTP(host: "example.com").description
        #expect(message.contains("example.com"))
        #expect(message.contains("unencrypted"))
        #expect(message.contains("https://"))
    }

    @Test(arguments: ["localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.255.255.254", "127.0.0.0",
                      "::1", "[::1]", "0:0:0:0:0:0:0:1", "0::1", "::ffff:127.0.0.1", "::FFFF:7f00:1"])
    func loopbackHosts(host: String) {
        #expect(ServerURLPolicy.isLoopback(host: host))
    }

    @Test(arguments: ["example.com", "localhost.example.com", "128.0.0.1", "10.0.0.1", "127.0.0.01", "0177.0.0.1",
                      "127.1", "127.0.0.256", "127.0.0.1.nip.io", "::", "::2", "1::2::3", ":::1", "::ffff:128.0.0.1",
                      "0:0:0:0:0:0:0:0:1", "::1%lo", "127.0.0.1::", "+1::1", ""])
    func otherHosts(host: String) {
        #expect(!ServerURLPolicy.isLoopback(host: host))
    }
}
