import BriefingModel
import BriefingProtocol
import Foundation
import GRDB

/// An article's id and the content revision it now has.
public struct PublishedRevision: Codable, Sendable, Hashable {
    public var id: String
    public var revision: Int64
}

/// A mark made by another device, as `POST /admin/state` takes it.
public struct DeviceMark: Codable, Sendable {
    /// The account whose state it changes; absent means the default account.
    public var account: String?
    public var id: String
    public var field: StateField
    public var value: Bool
    public var changedAt: Timestamp
    public var device: String
    /// The field revision the device saw; absent means the mark is not concurrent with anything.
    public var baseRev: Int64?

    enum CodingKeys: String, CodingKey {
        case account, id, field, value, device
        case changedAt = "changed_at"
        case baseRev = "base_rev"
    }

    var fieldState: FieldState { FieldState(value: value, changedAt: changedAt, device: device) }
}

/// The outcome of a device mark: `applied`, `conflict` or `gone`, the field's state after judging, and how
/// far a `changed_at` more than ε ahead of the server was moved back (clamped to the server's time).
public struct DeviceMarkResult: Codable, Sendable {
    public var status: MutationStatus
    public var state: StateRecord?
    public var clockAdjustedMs: Int64?

    enum CodingKeys: String, CodingKey {
        case status, state
        case clockAdjustedMs = "clock_adjusted_ms"
    }
}

/// What `GET /admin/state` shows: every article with one account's state, and that account's push counters.
public struct ServerSnapshot: Sendable, Encodable {
    /// One article as the admin view shows it; `read` and `starred` are null when never set.
    public struct ArticleState: Sendable, Encodable {
        public var id: String
        public var title: String?
        public var revision: Int64
        public var deleted: Bool
        public var read: FieldState?
        public var starred: FieldState?

        enum CodingKeys: String, CodingKey { case id, title, revision, deleted, read, starred }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(title, forKey: .title)
            try container.encode(revision, forKey: .revision)
            try container.encode(deleted, forKey: .deleted)
            try container.encode(read, forKey: .read)
            try container.encode(starred, forKey: .starred)
        }
    }

    public var articles: [ArticleState]
    public var mutationsApplied: Int64
    public var mutationsDuplicate: Int64
    public var mutationsConflict: Int64
    /// Pushed mutations whose `changed_at` was rebased or clamped (`clock_adjusted_ms` in their result).
    public var mutationsClockAdjusted: Int64
    public var sequence: Int64

    enum CodingKeys: String, CodingKey {
        case articles, sequence
        case mutationsApplied = "mutations_applied"
        case mutationsDuplicate = "mutations_duplicate"
        case mutationsConflict = "mutations_conflict"
        case mutationsClockAdjusted = "mutations_clock_adjusted"
    }
}

extension FeedStore {
    /// Inserts new articles with revision 1 and updates known ones to the next revision (undeleting a
    /// deleted one); each write takes a new content sequence number.
    public func publish(_ items: [FeedItem]) async throws -> [PublishedRevision] {
        try await writer.write { db in try Self.publish(db, items) }
    }

    static func publish(_ db: Database, _ items: [FeedItem]) throws -> [PublishedRevision] {
        let encoder = WireCoding.encoder()
        return try items.map { item in
            var stored = item
            stored.briefing = nil
            let json = String(decoding: try encoder.encode(stored), as: UTF8.self)
            let seq = try Self.nextSequence(db)
            let revision = (try Int64.fetchOne(db, sql: "SELECT revision FROM article WHERE id = ?",
                                               arguments: [item.id]) ?? 0) + 1
            try db.execute(sql: """
                INSERT INTO article (id, item_json, title, revision, content_seq, deleted, deleted_seq)
                VALUES (?, ?, ?, ?, ?, 0, NULL)
                ON CONFLICT (id) DO UPDATE SET item_json = excluded.item_json, title = excluded.title,
                    revision = excluded.revision, content_seq = excluded.content_seq, deleted = 0, deleted_seq = NULL
                """, arguments: [item.id, json, item.title, revision, seq])
            return PublishedRevision(id: item.id, revision: revision)
        }
    }

    /// Marks the articles deleted, each under a new sequence number; returns the ids that are now
    /// deleted and the ids the store never had.
    public func delete(ids: [String]) async throws -> (deleted: [String], unknown: [String]) {
        try await writer.write { db in
            var deleted: [String] = [], unknown: [String] = []
            for id in ids {
                guard let isDeleted = try Bool.fetchOne(db, sql: "SELECT deleted FROM article WHERE id = ?",
                                                        arguments: [id]) else {
                    unknown.append(id)
                    continue
                }
                if !isDeleted {
                    let seq = try Self.nextSequence(db)
                    try db.execute(sql: "UPDATE article SET deleted = 1, deleted_seq = ? WHERE id = ?",
                                   arguments: [seq, id])
                }
                deleted.append(id)
            }
            return (deleted, unknown)
        }
    }

    /// Judges a mark made by another device of `account` with the server's policy and the shared conflict
    /// rules. It carries no clock reading, so a `changed_at` more than ε past the server's time is clamped to it.
    public func record(_ mark: DeviceMark, account: String, policy: ConflictPolicy,
                       clock: PushClock) async throws -> DeviceMarkResult {
        try await writer.write { db in
            guard try Self.isLive(db, article: mark.id) else { return DeviceMarkResult(status: .gone, state: nil) }
            let current = try Self.state(db, account: account, article: mark.id, field: mark.field)
            let concurrent = current.map { current in mark.baseRev.map { $0 < current.rev } ?? false } ?? false
            let (incoming, adjustment) = clock.judged(mark.fieldState)
            let verdict = policy.rule(for: mark.field)
                .resolve(incoming: incoming, current: current?.fieldState, concurrent: concurrent)
            guard verdict.winner == .incoming else {
                return DeviceMarkResult(status: .conflict, state: current, clockAdjustedMs: adjustment)
            }
            let stored = try Self.storeState(db, account: account, article: mark.id, field: mark.field,
                                             state: incoming)
            return DeviceMarkResult(status: .applied, state: stored, clockAdjustedMs: adjustment)
        }
    }

    /// Every article sorted by id with the state `account` sees, and the account's counters.
    public func snapshot(account: String) async throws -> ServerSnapshot {
        try await writer.read { db in
            let counters = try Self.counters(db)
            let pushes = try Self.accountCounters(db, account: account)
            var states: [String: [StateField: FieldState]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT article_id, field, value, changed_at, device, seq FROM field_state WHERE account = ?
                """, arguments: [account]) {
                guard let field = StateField(rawValue: row["field"]) else { continue }
                states[row["article_id"], default: [:]][field] = Self.stateRecord(row).fieldState
            }
            let articles = try Row.fetchAll(db, sql: "SELECT id, title, revision, deleted FROM article ORDER BY id")
                .map { row in
                    let id: String = row["id"]
                    return ServerSnapshot.ArticleState(id: id, title: row["title"], revision: row["revision"],
                                                       deleted: row["deleted"], read: states[id]?[.read],
                                                       starred: states[id]?[.starred])
                }
            let adjusted = try Int64.fetchOne(db, sql: """
                SELECT count(*) FROM seen_mutation
                WHERE account = ? AND json_extract(result_json, '$.clock_adjusted_ms') IS NOT NULL
                """, arguments: [account]) ?? 0
            return ServerSnapshot(articles: articles, mutationsApplied: pushes.applied,
                                  mutationsDuplicate: pushes.duplicate, mutationsConflict: pushes.conflict,
                                  mutationsClockAdjusted: adjusted, sequence: counters.sequence)
        }
    }

    /// Bumps the token epoch: every change token issued so far is answered 410 from now on.
    public func expireTokens() async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE server_state SET token_epoch = token_epoch + 1 WHERE id = 1")
        }
    }

    /// Empties the store, zeroes the sequence and counters, bumps the epoch and publishes `seeds` and
    /// `generated` generated articles again.
    public func reset(seeds: [FeedItem], generated: Int = 0) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                DELETE FROM field_state;
                DELETE FROM article;
                DELETE FROM seen_mutation;
                DELETE FROM idempotency_record;
                DELETE FROM account_counters;
                UPDATE server_state SET sequence = 0, token_epoch = token_epoch + 1 WHERE id = 1;
                """)
            _ = try Self.publish(db, seeds)
            try Self.publishGenerated(db, count: generated)
        }
    }
}
