import Foundation

/// Bytes that are not the wire document they should be: a page, a feed or a field a well-behaved server
/// would not send. `message` is one terminal-safe line that says what was wrong; the sync engine reports
/// it as its own `malformed` error.
public struct MalformedData: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension DecodingError {
    /// One line naming what `JSONDecoder` refused and where (`missing 'id' at items[3]`), for error
    /// messages on both sides of the wire. The path is clipped; the text names keys, never values.
    public var summary: String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "top level" : String(keys.drop { $0 == "." }.prefix(120))
        }
        switch self {
        case .keyNotFound(let key, let context): return "missing '\(key.stringValue)' at \(path(context))"
        case .typeMismatch(_, let context): return "wrong type at \(path(context))"
        case .valueNotFound(_, let context): return "null at \(path(context))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "bad value at \(path(context))"
        @unknown default: return "undecodable"
        }
    }
}
