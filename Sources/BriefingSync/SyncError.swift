import BriefingStore

/// Why a sync (or init) stopped, with the sysexits code the CLI exits with.
public enum SyncError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The store is not pointed at a server.
    case notConfigured(String)
    /// The server is unreachable, or kept failing until the retry budget ran out.
    case unavailable(String)
    /// The server refused our credentials (401/403).
    case unauthorized(String)
    /// The server sent something that is not a valid page or push response; nothing of it was stored.
    case malformed(String)
    /// Another sync holds this store.
    case busy(String)
    case store(StoreError)

    public var exitCode: Int32 {
        switch self {
        case .notConfigured: 78
        case .unavailable: 69
        case .unauthorized: 77
        case .malformed: 65
        case .busy: 75
        case .store(let error):
            switch error {
            case .notInitialised, .newerSchema: 78
            case .corrupt, .diskFull, .io, .readOnly: 74
            case .busy: 75
            case .unknownArticle: 66
            case .badQuery: 64
            case .database: 70
            }
        }
    }

    public var description: String {
        switch self {
        case .notConfigured(let message), .unavailable(let message), .unauthorized(let message),
             .malformed(let message), .busy(let message):
            message
        case .store(let error):
            error.description
        }
    }
}
