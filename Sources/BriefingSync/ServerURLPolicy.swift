import Foundation

/// Decides whether a server URL may be synced with: https always, plain http only to this machine.
///
/// Call it where a server URL enters the app (`briefing init --server`) and show the error as it is:
/// ```swift
/// let verdict = try ServerURLPolicy.check(url, allowInsecureHTTP: options.allowInsecureHTTP)
/// if verdict == .insecureHTTP { warn("sync traffic to \(url.host!) is not encrypted") }
/// ```
/// Plain http to another host would carry the bearer token and the reading history in clear text, so it
/// needs the explicit `allowInsecureHTTP`; loopback traffic never leaves the machine and needs nothing.
public enum ServerURLPolicy {
    /// Why a URL was accepted, so a front end can warn about the insecure case.
    public enum Verdict: Sendable, Equatable {
        /// https: encrypted and verified.
        case https
        /// http to localhost, 127.0.0.0/8 or ::1.
        case loopbackHTTP
        /// http to another host, accepted only because insecure HTTP was explicitly allowed.
        case insecureHTTP
    }

    public static func check(_ url: URL, allowInsecureHTTP: Bool) throws(ServerURLError) -> Verdict {
        guard let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http" else {
            throw .unsupportedScheme(url.scheme ?? "")
        }
        guard let host = url.host, !host.isEmpty else { throw .missingHost(url.absoluteString) }
        if scheme == "https" { return .https }
        if isLoopback(host: host) { return .loopbackHTTP }
        guard allowInsecureHTTP else { throw .insecureHTTP(host: host) }
        return .insecureHTTP
    }

    /// Whether `host` names this machine: `localhost`, an IPv4 address in 127.0.0.0/8, or IPv6 `::1`
    /// (brackets allowed, and IPv4-mapped `::ffff:127.x.y.z`). Only canonical spellings count: a resolver
    /// may read `0177.0.0.1` or `127.1` differently from how it looks, so those are not loopback here.
    public static func isLoopback(host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name == "localhost" || name == "localhost." { return true }
        if let octets = IPAddress.ipv4(name) { return octets[0] == 127 }
        guard let groups = IPAddress.ipv6(name) else { return false }
        let isIPv6Loopback = groups == [0, 0, 0, 0, 0, 0, 0, 1]
        let isMappedIPv4Loopback = groups[0..<5].allSatisfy { $0 == 0 } && groups[5] == 0xFFFF && groups[6] >> 8 == 127
        return isIPv6Loopback || isMappedIPv4Loopback
    }
}

/// Why `ServerURLPolicy` refused a server URL; the description is meant for the user as it stands.
public enum ServerURLError: Error, Sendable, Equatable, CustomStringConvertible {
    case unsupportedScheme(String)
    case missingHost(String)
    case insecureHTTP(host: String)

    public var description: String {
        switch self {
        case .unsupportedScheme(let scheme):
            "unsupported URL scheme \"\(scheme)\": the server URL must start with https:// (or http:// to this machine)"
        case .missingHost(let url):
            "the server URL \(url) has no host"
        case .insecureHTTP(let host):
            "refusing plain http:// to \(host): the token and reading history would travel unencrypted; "
                + "use https://, or allow insecure HTTP explicitly"
        }
    }
}
