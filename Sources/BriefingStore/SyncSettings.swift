import Foundation
import GRDB
import BriefingModel

/// What kind of source a store follows.
public enum ServerKind: String, Sendable, Codable {
    /// A Briefing protocol server: change tokens, pushes, shared reader state.
    case briefing
    /// A plain JSON Feed document: fetched whole, marks stay on this device.
    case feed
}

/// Where a store syncs from and how far it got: the single `sync_meta` row plus the policy rows.
public struct SyncSettings: Hashable, Sendable {
    public var device: String
    public var serverURL: String?
    public var serverKind: ServerKind?
    public var tokenFile: String?
    public var caFile: String?
    public var allowInsecureHTTP: Bool
    public var changeToken: String?
    public var lastSync: Timestamp?
    public var clock: HybridClock
    public var resyncGeneration: Int64
    public var resyncInProgress: Bool
    public var feedETag: String?
    public var feedLastModified: String?
    public var policy: ConflictPolicy
    /// Seconds allowed for one request; nil for the client's default.
    public var requestTimeout: Double?
    /// Seconds of retrying a failing request before giving up; nil for the client's default.
    public var retryBudget: Double?
    /// This device's wall clock minus the server's, in ms, as the last sync measured it; nil until then.
    public var clockOffset: Int64?
    /// The server's maximum clock offset ε, as it announced it; nil for the default.
    public var maxClockOffset: ClockOffsetBound?

    /// The bound this store's clock is held to: the server's ε, else the default.
    public var clockBound: ClockOffsetBound { maxClockOffset ?? .default }

    /// The time this device's marks are stamped from: the wall clock, corrected by the measured offset
    /// when that is beyond ε (so a device whose clock is a day fast stamps the server's time).
    public func markClock(_ wallClock: Timestamp) -> Timestamp {
        clockBound.corrected(wallClock, offset: clockOffset)
    }

    public init(device: String) {
        self.device = device
        self.allowInsecureHTTP = false
        self.clock = HybridClock()
        self.resyncGeneration = 0
        self.resyncInProgress = false
        self.policy = .default
    }

    /// Whether `init` pointed the store at a server.
    public var isConfigured: Bool { serverURL != nil }
}

extension BriefingStore {
    /// The store's settings; nil for a store that was created but never initialised.
    public func settings() throws(StoreError) -> SyncSettings? {
        try read { db in try Self.settings(db) }
    }

    static func settings(_ db: Database) throws -> SyncSettings? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM sync_meta WHERE singleton = 1") else { return nil }
        var settings = SyncSettings(device: row["device"])
        settings.serverURL = row["server_url"]
        settings.serverKind = (row["server_kind"] as String?).flatMap(ServerKind.init(rawValue:))
        settings.tokenFile = row["token_file"]
        settings.caFile = row["ca_file"]
        settings.allowInsecureHTTP = row["allow_insecure_http"]
        settings.changeToken = row["change_token"]
        settings.lastSync = (row["last_sync"] as Int64?).map(Timestamp.init(milliseconds:))
        settings.clock = HybridClock(latest: Timestamp(milliseconds: row["clock_latest"]))
        settings.resyncGeneration = row["resync_generation"]
        settings.resyncInProgress = row["resync_in_progress"]
        settings.feedETag = row["feed_etag"]
        settings.feedLastModified = row["feed_last_modified"]
        settings.requestTimeout = row["request_timeout"]
        settings.retryBudget = row["retry_budget"]
        settings.clockOffset = row["clock_offset_ms"]
        settings.maxClockOffset = (row["max_clock_offset_ms"] as Int64?).map(ClockOffsetBound.init(milliseconds:))
        for policyRow in try Row.fetchAll(db, sql: "SELECT field, rule FROM sync_policy") {
            if let field = StateField(rawValue: policyRow["field"]), let rule = ConflictRule(name: policyRow["rule"]) {
                settings.policy.set(rule, for: field)
            }
        }
        return settings
    }

    /// Writes every setting in one transaction.
    public func saveSettings(_ settings: SyncSettings) throws(StoreError) {
        try write { db in try Self.saveSettings(settings, db) }
    }

    static func saveSettings(_ settings: SyncSettings, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO sync_meta (singleton, device, server_url, server_kind, token_file, ca_file,
                allow_insecure_http, change_token, last_sync, clock_latest, resync_generation,
                resync_in_progress, feed_etag, feed_last_modified, request_timeout, retry_budget,
                clock_offset_ms, max_clock_offset_ms)
            VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (singleton) DO UPDATE SET
                device = excluded.device, server_url = excluded.server_url,
                server_kind = excluded.server_kind, token_file = excluded.token_file,
                ca_file = excluded.ca_file, allow_insecure_http = excluded.allow_insecure_http,
                change_token = excluded.change_token, last_sync = excluded.last_sync,
                clock_latest = excluded.clock_latest, resync_generation = excluded.resync_generation,
                resync_in_progress = excluded.resync_in_progress, feed_etag = excluded.feed_etag,
                feed_last_modified = excluded.feed_last_modified,
                request_timeout = excluded.request_timeout, retry_budget = excluded.retry_budget,
                clock_offset_ms = excluded.clock_offset_ms, max_clock_offset_ms = excluded.max_clock_offset_ms
            """, arguments: [
                settings.device, settings.serverURL, settings.serverKind?.rawValue, settings.tokenFile,
                settings.caFile, settings.allowInsecureHTTP, settings.changeToken,
                settings.lastSync?.milliseconds, settings.clock.latest.milliseconds,
                settings.resyncGeneration, settings.resyncInProgress, settings.feedETag,
                settings.feedLastModified, settings.requestTimeout, settings.retryBudget,
                settings.clockOffset, settings.maxClockOffset?.milliseconds,
            ])
        try db.execute(sql: "DELETE FROM sync_policy")
        for field in StateField.allCases {
            if let rule = settings.policy.rules[field] {
                try db.execute(sql: "INSERT INTO sync_policy (field, rule) VALUES (?, ?)",
                               arguments: [field.rawValue, rule.rawValue])
            }
        }
    }

    /// Points the store at a server. A store that holds articles from another server is switched only
    /// with `force`, which empties it (articles, states, pending marks, token) first.
    public func configure(_ settings: SyncSettings, force: Bool) throws(StoreError) -> ConfigureOutcome {
        try write { db in
            let previous = try Self.settings(db)
            let articles = try Int.fetchOne(db, sql: "SELECT count(*) FROM article") ?? 0
            var next = settings
            // Timeouts set with `briefing config` outlive a re-init that does not name them.
            next.requestTimeout = settings.requestTimeout ?? previous?.requestTimeout
            next.retryBudget = settings.retryBudget ?? previous?.retryBudget
            if let previous, previous.serverURL == settings.serverURL {
                // Re-running init against the same server keeps progress and the clock.
                next.changeToken = previous.changeToken
                next.lastSync = previous.lastSync
                next.clock = previous.clock
                next.resyncGeneration = previous.resyncGeneration
                next.resyncInProgress = previous.resyncInProgress
                next.feedETag = previous.feedETag
                next.feedLastModified = previous.feedLastModified
                next.clockOffset = previous.clockOffset
                next.maxClockOffset = previous.maxClockOffset
            } else if articles > 0, previous?.serverURL != nil {
                // Articles from another server (an import-only store has none to switch away from).
                guard force else { return .refusedPopulated(articles: articles, server: previous?.serverURL) }
                try db.execute(sql: "DELETE FROM article")
                try db.execute(sql: "DELETE FROM conflict_log")
                next.clock = previous?.clock ?? HybridClock()
            }
            try Self.saveSettings(next, db)
            return .configured
        }
    }

    public enum ConfigureOutcome: Equatable, Sendable {
        case configured
        case refusedPopulated(articles: Int, server: String?)
    }
}

extension BriefingStore {
    /// Stores the HTTP validators of a plain feed's last complete fetch.
    public func saveFeedValidators(etag: String?, lastModified: String?) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE sync_meta SET feed_etag = ?, feed_last_modified = ? WHERE singleton = 1",
                           arguments: [etag, lastModified])
        }
    }
}

extension BriefingStore {
    /// Reads the settings, applies `change` and writes them back in one transaction, so a sync committing
    /// a page meanwhile keeps its change token. Returns the settings as written.
    public func updateSettings(_ change: (inout SyncSettings) -> Void) throws(StoreError) -> SyncSettings {
        try write { db in
            guard var settings = try Self.settings(db) else { throw StoreError.notInitialised(path: path) }
            change(&settings)
            try Self.saveSettings(settings, db)
            return settings
        }
    }

    /// Keeps what a sync measured of this device's clock against the server's: the offset (wall − server, in
    /// ms) and the server's ε when it announced one. The hybrid clock is held to the server's time + ε as
    /// well: marks stamped before a fast clock was measured must not keep every later mark a day ahead.
    /// Writes only when something moved (the offset by more than a second): most syncs change nothing here.
    public func recordClockOffset(_ offset: Int64, bound: ClockOffsetBound?, wallClock: Timestamp) throws(StoreError) {
        guard let stored = try settings() else { return }
        let effective = bound ?? stored.clockBound
        let ceiling = effective.ceiling(serverTime: Timestamp(milliseconds: wallClock.milliseconds - offset))
        let moved = stored.clockOffset.map { abs($0 - offset) > 1_000 } ?? true
        guard moved || (bound != nil && bound != stored.maxClockOffset) || stored.clock.latest > ceiling else { return }
        try write { db in
            guard var settings = try Self.settings(db) else { return }
            settings.clockOffset = offset
            if let bound { settings.maxClockOffset = bound }
            try db.execute(sql: """
                UPDATE sync_meta SET clock_offset_ms = ?, max_clock_offset_ms = ?, clock_latest = min(clock_latest, ?)
                WHERE singleton = 1
                """, arguments: [offset, settings.maxClockOffset?.milliseconds, ceiling.milliseconds])
        }
    }

    /// Keeps the notes and warnings of the sync that just completed, replacing the previous sync's. Writes
    /// only when they differ: most syncs say nothing, and a write would wait behind other processes' marks.
    public func saveLastSyncMessages(_ messages: [String]) throws(StoreError) {
        if try lastSyncMessages() == messages { return }
        let json = String(decoding: (try? JSONEncoder().encode(messages)) ?? Data("[]".utf8), as: UTF8.self)
        try write { db in
            try db.execute(sql: "UPDATE sync_meta SET last_sync_messages = ? WHERE singleton = 1", arguments: [json])
        }
    }

    /// The notes and warnings of the last completed sync.
    public func lastSyncMessages() throws(StoreError) -> [String] {
        try read { db in
            let json = try String.fetchOne(db, sql: "SELECT last_sync_messages FROM sync_meta WHERE singleton = 1") ?? "[]"
            return (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
        }
    }
}
