/// Why the store refused an operation, with enough context to tell the user what to do.
/// The CLI maps each case to one sysexits code.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No store file, or a store that was never pointed at a server.
    case notInitialised(path: String)
    /// The file was written by a newer Briefing: opening it could lose data.
    case newerSchema(path: String, unknown: [String])
    /// The file is not a SQLite database, or SQLite found it damaged. It is never written.
    case corrupt(path: String, detail: String)
    /// Another process holds the store past the busy timeout.
    case busy(detail: String)
    /// Another sync holds this store's sync lease.
    case syncInProgress
    /// No article has this id or handle.
    case unknownArticle(String)
    /// A search query FTS5 cannot parse.
    case badQuery(String)
    /// Anything else SQLite reported.
    case database(String)

    public var description: String {
        switch self {
        case .notInitialised(let path):
            "no briefing store at \(path)"
        case .newerSchema(let path, let unknown):
            "store \(path) was written by a newer Briefing (schema \(unknown.joined(separator: ", "))); upgrade briefing"
        case .corrupt(let path, let detail):
            "store \(path) is unreadable or corrupt (\(detail)); it was left untouched"
        case .busy(let detail):
            "store is busy (\(detail)); try again"
        case .syncInProgress:
            "another sync is running on this store"
        case .unknownArticle(let reference):
            "no article with id or handle '\(reference)'"
        case .badQuery(let detail):
            "malformed search query: \(detail)"
        case .database(let detail):
            "store error: \(detail)"
        }
    }
}
