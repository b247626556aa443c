import BriefingModel
import BriefingProtocol
import Foundation

/// The account of a server without `--accounts`: every request, with or without the single `--token`.
public let defaultAccount = "default"

/// Where the mock server keeps its data: shared articles, each account's read/starred state, the one
/// change sequence, seen mutation ids and idempotency records. The routes use only this; `FeedStore`
/// (SQLite, embedded) and `PostgresFeedStore` (PostgreSQL, shareable by several server instances)
/// implement it with the same answers, byte for byte.
///
/// Every method is one transaction. A state change of one account is never served to another: pulls,
/// pushes, device marks and snapshots name their account.
public protocol FeedStorage: Sendable {
    /// True when no article was ever stored: seeds are loaded then.
    func isEmpty() async throws -> Bool
    /// The token for the current end of the sequence.
    func currentToken() async throws -> ChangeToken
    /// The first `limit` changes after `token` (nil: from the beginning) that `account` may see.
    func changes(after token: String?, limit: Int, account: String) async throws -> ChangePage
    /// Judges a push of `account`, or replays the response stored under its Idempotency-Key.
    func push(account: String, key: String, body: Data, request: Result<PushRequest, PushRejection>,
              policy: ConflictPolicy, clock: PushClock) async throws -> StoredResponse
    /// Inserts or updates articles (shared by all accounts).
    func publish(_ items: [FeedItem]) async throws -> [PublishedRevision]
    /// Publishes `GeneratedArticles` `0..<count` (`--generate`) into a store without articles.
    func publishGenerated(count: Int) async throws
    /// Tombstones articles; returns the ids now deleted and the ids never stored.
    func delete(ids: [String]) async throws -> (deleted: [String], unknown: [String])
    /// Judges a mark another device of `account` made (its `changed_at` bounded by `clock`).
    func record(_ mark: DeviceMark, account: String, policy: ConflictPolicy,
                clock: PushClock) async throws -> DeviceMarkResult
    /// Every article with the state `account` sees, and that account's push counters (with how many of
    /// its pushed mutations had their time rebased or clamped).
    func snapshot(account: String) async throws -> ServerSnapshot
    /// Expires every change token issued so far.
    func expireTokens() async throws
    /// Empties the store (every account), expires every token and publishes `seeds` and `generated`
    /// generated articles again.
    func reset(seeds: [FeedItem], generated: Int) async throws
    /// Releases connections; the store is not used afterwards.
    func close() async
}

extension FeedStorage {
    /// The changes the default account sees.
    public func changes(after token: String?, limit: Int) async throws -> ChangePage {
        try await changes(after: token, limit: limit, account: defaultAccount)
    }

    /// The default account's snapshot.
    public func snapshot() async throws -> ServerSnapshot { try await snapshot(account: defaultAccount) }
}

/// Opens the store a configuration names: PostgreSQL for a `postgres://` URL, else SQLite (in memory
/// without a path).
public func openFeedStorage(_ configuration: MockServerConfiguration) async throws -> any FeedStorage {
    if let url = configuration.databaseURL {
        return try await PostgresFeedStore(url: url)
    }
    return try FeedStore(path: configuration.dataPath)
}
