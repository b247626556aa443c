import BriefingModel
import BriefingProtocol
import Foundation
import GRDB

/// A token the server no longer honours: from an older epoch, undecodable, or beyond the sequence.
public struct ExpiredChangeToken: Error, Sendable {}

/// One page of changes after a token, before it is dressed as a JSON Feed document.
public struct ChangePage: Sendable {
    /// Live articles whose content changed, as stored (their JSON is spliced into the page, not re-encoded).
    var items: [StoredItem]
    public var deleted: [String]
    public var states: [StateChange]
    public var nextToken: ChangeToken
    public var hasMore: Bool
}

extension FeedStore {
    /// The first `limit` changes after `token` (nil: from the beginning) that `account` sees, merged in
    /// sequence order: live articles whose content changed (with the account's current state embedded), the
    /// account's state-only changes of articles whose content did not, and tombstones (only for a token past
    /// the beginning). Other accounts' state changes are skipped: their sequence numbers are simply absent.
    public func changes(after token: String?, limit: Int, account: String) async throws -> ChangePage {
        try await writer.read { db in
            let counters = try Self.counters(db)
            var since: Int64 = 0
            if let token {
                guard let decoded = ChangeToken(token), decoded.epoch == counters.epoch,
                      decoded.sequence <= counters.sequence else { throw ExpiredChangeToken() }
                since = decoded.sequence
            }
            let window = limit + 1
            var candidates: [(seq: Int64, change: PulledChange)] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT id, item_json, revision, content_seq FROM article
                WHERE deleted = 0 AND content_seq > ? ORDER BY content_seq LIMIT ?
                """, arguments: [since, window]) {
                candidates.append((row["content_seq"], .item(id: row["id"], json: row["item_json"], revision: row["revision"])))
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT s.article_id, s.field, s.value, s.changed_at, s.device, s.seq
                FROM field_state s JOIN article a ON a.id = s.article_id
                WHERE s.account = ? AND s.seq > ? AND a.deleted = 0 AND a.content_seq <= ? ORDER BY s.seq LIMIT ?
                """, arguments: [account, since, since, window]) {
                guard let field = StateField(rawValue: row["field"]) else { continue }
                candidates.append((row["seq"], .state(StateChange(id: row["article_id"], field: field,
                                                                  record: Self.stateRecord(row)))))
            }
            if since > 0 {
                for row in try Row.fetchAll(db, sql: """
                    SELECT id, deleted_seq FROM article WHERE deleted = 1 AND deleted_seq > ?
                    ORDER BY deleted_seq LIMIT ?
                    """, arguments: [since, window]) {
                    candidates.append((row["deleted_seq"], .tombstone(id: row["id"])))
                }
            }
            let cut = PageCut(candidates, limit: limit, sequence: counters.sequence)
            let (itemRows, deleted, states, next, hasMore) = (cut.itemRows, cut.deleted, cut.states, cut.next, cut.hasMore)
            let embedded = try Self.states(db, account: account, articles: itemRows.map(\.id))
            let items = itemRows.map { row in
                let current = embedded[row.id] ?? [:]
                return StoredItem(json: row.json, revision: row.revision, read: current[.read], starred: current[.starred])
            }
            return ChangePage(items: items, deleted: deleted, states: states,
                              nextToken: ChangeToken(epoch: counters.epoch, sequence: next), hasMore: hasMore)
        }
    }

    /// The current states of the given articles for one account, by article and field.
    static func states(_ db: Database, account: String, articles: [String]) throws -> [String: [StateField: StateRecord]] {
        guard !articles.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: articles.count).joined(separator: ", ")
        var result: [String: [StateField: StateRecord]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT article_id, field, value, changed_at, device, seq FROM field_state
            WHERE account = ? AND article_id IN (\(placeholders))
            """, arguments: StatementArguments([account] + articles)) {
            guard let field = StateField(rawValue: row["field"]) else { continue }
            result[row["article_id"], default: [:]][field] = stateRecord(row)
        }
        return result
    }
}

/// One candidate of a pull page: an item's content, a state change or a tombstone, each with its sequence number.
enum PulledChange {
    case item(id: String, json: String, revision: Int64)
    case state(StateChange)
    case tombstone(id: String)
}

/// The one rule both stores page by: the candidates of the three windows (contents, states, tombstones) in
/// sequence order, cut at `limit`; the next token points at the last change served, or at the store's
/// sequence when nothing is left.
struct PageCut {
    var itemRows: [(id: String, json: String, revision: Int64)] = []
    var deleted: [String] = []
    var states: [StateChange] = []
    let next: Int64
    let hasMore: Bool

    init(_ candidates: [(seq: Int64, change: PulledChange)], limit: Int, sequence: Int64) {
        let ordered = candidates.sorted { $0.seq < $1.seq }
        hasMore = ordered.count > limit
        let page = ordered.prefix(limit)
        next = hasMore ? page.last!.seq : sequence
        for candidate in page {
            switch candidate.change {
            case let .item(id, json, revision): itemRows.append((id, json, revision))
            case let .state(change): states.append(change)
            case let .tombstone(id): deleted.append(id)
            }
        }
    }
}
