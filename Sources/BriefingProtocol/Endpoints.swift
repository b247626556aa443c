import Foundation

/// Paths, parameters and headers of the Briefing protocol, relative to the server's base URL.
/// `Schema/protocol.md` describes them in prose; `Schema/openapi.yaml` formally.
public enum Endpoint {
    /// `GET {base}/v1/changes?token=T&limit=N` → a JSON Feed 1.1 pull page; 410 when `T` is expired.
    public static let changes = "v1/changes"
    /// `POST {base}/v1/mutations` with an `Idempotency-Key` header → a `PushResponse`.
    public static let mutations = "v1/mutations"

    public static let tokenParameter = "token"
    public static let limitParameter = "limit"

    public static let idempotencyKeyHeader = "Idempotency-Key"
    /// JSON Feed's own media type, which pull pages are served as.
    public static let feedMediaType = "application/feed+json"
    /// What a client accepts on a pull or a plain-feed fetch: JSON Feed's media type, and plain JSON from
    /// servers (and static hosts) that do not know it.
    public static let acceptFeed = ("Accept", "\(feedMediaType), application/json")
    /// On every protocol response: the server's clock as RFC 3339 with milliseconds.
    public static let serverTimeHeader = "Briefing-Server-Time"
    /// On every protocol response: the server's maximum clock offset ε in whole seconds (`--max-clock-offset`).
    public static let maxClockOffsetHeader = "Briefing-Max-Clock-Offset"
    /// On a push: the client's clock reading (its corrected clock, RFC 3339 with milliseconds), which the
    /// server compares with its own to rebase marks from a clock more than ε off.
    public static let clientTimeHeader = "Briefing-Client-Time"

    /// The largest page a client may ask for; larger limits are clamped.
    public static let maxLimit = 1_000
    /// The most mutations one push may carry.
    public static let maxMutationsPerPush = 1_000
}

/// Coders with the settings both sides use: explicit snake_case keys (no key conversion: it halves
/// decoding speed), sorted keys so equal values encode to equal bytes.
public enum WireCoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder { JSONDecoder() }
}
