/// Textual IP addresses parsed by hand, because the sync core stays free of Glibc (`inet_pton`).
enum IPAddress {
    /// Dotted-quad IPv4: exactly four decimal parts 0–255, no leading zeros (which some parsers read as octal).
    static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ ("0"..."9").contains($0) }),
                  part == "0" || !part.hasPrefix("0"), let value = UInt8(part)
            else { return nil }
            octets.append(value)
        }
        return octets
    }

    /// RFC 4291 §2.2 text: eight hex groups, at most one `::` for a run of zero groups, and an optional
    /// dotted-quad tail for the last two groups. Zone identifiers (`%eth0`) are not accepted.
    static func ipv6(_ text: String) -> [UInt16]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2, let head = groups(halves[0], endsAddress: halves.count == 1) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = groups(halves[1], endsAddress: true), head.count + tail.count <= 7 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }

    /// The groups of one side of `::`; only the side that ends the address may end in a dotted quad.
    private static func groups(_ text: String, endsAddress: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        var fields = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var tail: [UInt16] = []
        if endsAddress, let last = fields.last, last.contains(".") {
            guard let octets = ipv4(last) else { return nil }
            tail = [UInt16(octets[0]) << 8 | UInt16(octets[1]), UInt16(octets[2]) << 8 | UInt16(octets[3])]
            fields.removeLast()
        }
        var result: [UInt16] = []
        for field in fields {
            guard (1...4).contains(field.count), field.allSatisfy(\.isHexDigit), let value = UInt16(field, radix: 16)
            else { return nil }
            result.append(value)
        }
        return result + tail
    }
}
