import Foundation

/// A position in the server's change sequence, handed to clients as an opaque string: base64url (no
/// padding) of `EPOCH:SEQ`. The epoch lets the server expire every token issued so far at once.
public struct ChangeToken: Hashable, Sendable, CustomStringConvertible {
    public var epoch: Int64
    public var sequence: Int64

    public init(epoch: Int64, sequence: Int64) {
        self.epoch = epoch
        self.sequence = sequence
    }

    /// Decodes a token string; nil when it is not base64url of two non-negative integers `EPOCH:SEQ`.
    public init?(_ text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !text.contains("="), !text.contains("+"), !text.contains("/") else { return nil }
        while base64.count % 4 != 0 { base64.append("=") }
        guard let data = Data(base64Encoded: base64), let plain = String(data: data, encoding: .utf8) else { return nil }
        let parts = plain.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let epoch = Int64(parts[0]), let sequence = Int64(parts[1]),
              epoch >= 0, sequence >= 0 else { return nil }
        self.init(epoch: epoch, sequence: sequence)
    }

    /// The opaque form clients store and send back.
    public var description: String {
        Data("\(epoch):\(sequence)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
