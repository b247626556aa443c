import BriefingModel
import BriefingProtocol
import Foundation

/// How one mock server instance is set up: where it listens, what it serves and how it judges.
public struct MockServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Items published when the store is empty and again on `reset`.
    public var seeds: [FeedItem]
    /// How many `GeneratedArticles` are published after the seeds, when the store is empty and on `reset`.
    public var generated: Int
    /// The SQLite file; nil keeps everything in memory (unless `databaseURL` names PostgreSQL).
    public var dataPath: String?
    /// A `postgres://user[:password]@host:port/database` URL: the store is that PostgreSQL database,
    /// which several server instances may share.
    public var databaseURL: String?
    /// The bearer token protocol requests must carry (one account, `default`); nil lets every request in
    /// unless `accounts` is set.
    public var token: String?
    /// Bearer token → account name (`--accounts FILE`); each account has its own read/starred state.
    public var accounts: [String: String]?
    public var pageSize: Int
    public var policy: ConflictPolicy
    /// ε: marks from a clock further off are rebased or clamped before they are judged.
    public var maxClockOffset: ClockOffsetBound

    public init(host: String = "127.0.0.1", port: Int = 0, seeds: [FeedItem] = [], generated: Int = 0,
                dataPath: String? = nil, databaseURL: String? = nil, token: String? = nil,
                accounts: [String: String]? = nil, pageSize: Int = 100, policy: ConflictPolicy = .default,
                maxClockOffset: ClockOffsetBound = .default) {
        self.host = host
        self.port = port
        self.seeds = seeds
        self.generated = generated
        self.dataPath = dataPath
        self.databaseURL = databaseURL
        self.token = token
        self.accounts = accounts
        self.pageSize = pageSize
        self.policy = policy
        self.maxClockOffset = maxClockOffset
    }

    /// The tokens protocol requests may carry, with their accounts; nil when requests need none.
    var accountsByToken: [String: String]? {
        guard accounts != nil || token != nil else { return nil }
        var byToken = accounts ?? [:]
        if let token { byToken[token] = defaultAccount }
        return byToken
    }
}

/// Everything a running mock server shares between requests: its store, clock, armed faults and setup.
public final class MockFeedService: Sendable {
    public let configuration: MockServerConfiguration
    public let store: any FeedStorage
    public let clock: ServerClock
    public let faults: FaultQueue

    /// Opens the store and publishes the seeds and generated articles into it when it holds no article yet.
    public init(configuration: MockServerConfiguration, clock: ServerClock = ServerClock()) async throws {
        self.configuration = configuration
        self.store = try await openFeedStorage(configuration)
        self.clock = clock
        self.faults = FaultQueue()
        if try await store.isEmpty() {
            _ = try await store.publish(configuration.seeds)
            try await store.publishGenerated(count: configuration.generated)
        }
    }
}
