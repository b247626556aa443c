import BriefingModel
import BriefingProtocol
import Foundation

/// How one mock server instance is set up: where it listens, what it serves and how it judges.
public struct MockServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Items published when the store is empty and again on `reset`.
    public var seeds: [FeedItem]
    /// The SQLite file; nil keeps everything in memory.
    public var dataPath: String?
    /// The bearer token protocol requests must carry; nil lets every request in.
    public var token: String?
    public var pageSize: Int
    public var policy: ConflictPolicy
    /// ε: marks from a clock further off are rebased or clamped before they are judged.
    public var maxClockOffset: ClockOffsetBound

    public init(host: String = "127.0.0.1", port: Int = 0, seeds: [FeedItem] = [], dataPath: String? = nil,
                token: String? = nil, pageSize: Int = 100, policy: ConflictPolicy = .default,
                maxClockOffset: ClockOffsetBound = .default) {
        self.host = host
        self.port = port
        self.seeds = seeds
        self.dataPath = dataPath
        self.token = token
        self.pageSize = pageSize
        self.policy = policy
        self.maxClockOffset = maxClockOffset
    }
}

/// Everything a running mock server shares between requests: its store, clock, armed faults and setup.
public final class MockFeedService: Sendable {
    public let configuration: MockServerConfiguration
    public let store: FeedStore
    public let clock: ServerClock
    public let faults: FaultQueue

    /// Opens the store and publishes the seeds into it when it holds no article yet.
    public init(configuration: MockServerConfiguration, clock: ServerClock = ServerClock()) async throws {
        self.configuration = configuration
        self.store = try FeedStore(path: configuration.dataPath)
        self.clock = clock
        self.faults = FaultQueue()
        if try await store.isEmpty() {
            _ = try await store.publish(configuration.seeds)
        }
    }
}
