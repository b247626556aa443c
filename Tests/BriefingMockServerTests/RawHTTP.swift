import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A one-request HTTP/1.1 client on a plain socket that shows exactly what came over the wire: no
/// automatic decompression, no retries, and a connection closed early is visible as such.
enum RawHTTP {
    struct Exchange {
        /// Everything received until the server closed the connection.
        var bytes: Data
        /// Whether the connection ended with a TCP reset rather than a clean close.
        var wasReset = false
        var head: String? {
            bytes.range(of: Data("\r\n\r\n".utf8)).map { String(decoding: bytes[..<$0.lowerBound], as: UTF8.self) }
        }
        var status: Int? { head.flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } } }
        func header(_ name: String) -> String? {
            head?.split(separator: "\r\n").dropFirst().first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
        }
        var body: Data {
            guard let range = bytes.range(of: Data("\r\n\r\n".utf8)) else { return Data() }
            return Data(bytes[range.upperBound...])
        }
    }

    /// Sends `GET path` (with `Connection: close`) to `host`:`port` and reads until the server closes.
    static func get(host: String = "127.0.0.1", port: Int, _ path: String, headers: [String: String] = [:],
                    timeout: Double = 10) throws -> Exchange {
        try send("GET", host: host, port: port, path, headers: headers, timeout: timeout)
    }

    /// Sends `METHOD path` with an optional body (and `Connection: close`) and reads until the server closes.
    static func send(_ method: String, host: String = "127.0.0.1", port: Int, _ path: String,
                     headers: [String: String] = [:], body: Data = Data(), timeout: Double = 10) throws -> Exchange {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError("socket failed") }
        defer { close(fd) }
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw RawHTTPError("connect to port \(port) failed") }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        if !body.isEmpty { request += "Content-Length: \(body.count)\r\n" }
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Data(request.utf8) + body
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw RawHTTPError("send failed") }
        var exchange = Exchange(bytes: Data())
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count > 0 {
                exchange.bytes.append(contentsOf: chunk[0..<count])
            } else if count == 0 {
                break
            } else if errno == ECONNRESET {
                exchange.wasReset = true
                break
            } else {
                throw RawHTTPError("no answer within \(timeout) s (errno \(errno))")
            }
        }
        return exchange
    }
}

struct RawHTTPError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The first IPv4 address of an interface that is up and not loopback, if the machine has one.
func nonLoopbackIPv4() -> String? {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0, let first = list else { return nil }
    defer { freeifaddrs(list) }
    for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
        let flags = Int32(entry.pointee.ifa_flags)
        guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
              flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0 else { continue }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        var ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
        guard inet_ntop(AF_INET, &ipv4, &text, socklen_t(INET_ADDRSTRLEN)) != nil else { continue }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    return nil
}
