import BriefingStore

/// Why a sync (or a server probe) stopped. Each case is something an app can act on; the message says what
/// happened in one line, quoting server text only clipped and never the bearer token.
public enum SyncError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The store is not pointed at a server, or the URL has no Briefing server or feed behind it.
    case notConfigured(String)
    /// The server is unreachable, or kept failing until the retry budget ran out.
    case unavailable(String)
    /// The server refused our credentials (401/403).
    case unauthorized(String)
    /// The server sent something that is not a valid page or push response; nothing of it was stored.
    case malformed(String)
    /// Another sync holds this store (in this process or another).
    case busy(String)
    /// The calling Task was cancelled. Everything committed before stays; the next sync resumes from it.
    case cancelled
    case store(StoreError)

    public var description: String {
        switch self {
        case .notConfigured(let message), .unavailable(let message), .unauthorized(let message),
             .malformed(let message), .busy(let message):
            message
        case .cancelled:
            "sync cancelled"
        case .store(let error):
            error.description
        }
    }
}
