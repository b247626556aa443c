import Foundation
import GRDB
import BriefingModel
import BriefingProtocol

/// One line of `briefing list`: enough to choose an article, without its body.
public struct ArticleSummary: Hashable, Sendable {
    public var handle: Int64
    public var id: String
    public var title: String?
    public var url: String?
    public var datePublished: Timestamp?
    public var read: Bool
    public var starred: Bool
    public var archived: Bool
    public var tags: [String]
}

/// A whole article as `briefing show` needs it.
public struct StoredArticle: Hashable, Sendable {
    public var summary: ArticleSummary
    public var article: Article
}

/// Which articles `list` shows.
public enum ListFilter: String, Sendable, CaseIterable {
    case unread, starred, all
}

/// The counts and settings `briefing status` prints.
public struct StoreStatus: Hashable, Sendable {
    public var articles: Int
    public var unread: Int
    public var starred: Int
    public var archived: Int
    public var pending: Int
    public var conflicts: Int
    public var lastSync: Timestamp?
    /// Items skipped, fields dropped and backfill pages lost in the last sync.
    public var lastSyncWarnings: Int
    public var server: String?
    public var serverKind: ServerKind?
    public var device: String?
}

/// One entry of the conflict log: both sides, the winner and the rule that picked it.
public struct ConflictRecord: Hashable, Sendable {
    public struct Side: Hashable, Sendable {
        /// "true"/"false" for a field, "deleted" or "starred" for a delete against a local star.
        public var value: String
        public var changedAt: Timestamp?
        public var device: String?
        public init(value: String, changedAt: Timestamp? = nil, device: String? = nil) {
            self.value = value
            self.changedAt = changedAt
            self.device = device
        }
        init(_ state: FieldState) {
            self.init(value: state.value ? "true" : "false", changedAt: state.changedAt, device: state.device)
        }
    }
    public enum Winner: String, Sendable { case local, server }

    public var articleID: String
    public var field: String
    public var local: Side
    public var server: Side
    public var winner: Winner
    public var rule: String
    public var resolvedAt: Timestamp
}

extension BriefingStore {
    static let summaryColumns = """
        a.handle, a.id, a.title, a.url, a.date_published, a.tags_json, a.archived,
        coalesce(r.value, 0) AS is_read, coalesce(s.value, 0) AS is_starred
        """
    static let stateJoins = """
        LEFT JOIN article_state r ON r.article_id = a.id AND r.field = 'read'
        LEFT JOIN article_state s ON s.article_id = a.id AND s.field = 'starred'
        """

    /// Articles newest first (by date_published, else arrival).
    public func list(_ filter: ListFilter, tag: String? = nil, limit: Int? = nil) throws(StoreError) -> [ArticleSummary] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        switch filter {
        case .unread: conditions.append("coalesce(r.value, 0) = 0")
        case .starred: conditions.append("s.value = 1")
        case .all: break
        }
        if let tag {
            conditions.append("EXISTS (SELECT 1 FROM json_each(a.tags_json) t WHERE lower(t.value) = lower(?))")
            _ = arguments.append(contentsOf: [tag])
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        _ = arguments.append(contentsOf: [limit ?? -1])
        let sql = """
            SELECT \(Self.summaryColumns) FROM article a \(Self.stateJoins) \(whereClause)
            ORDER BY coalesce(a.date_published, a.received_at) DESC, a.handle DESC LIMIT ?
            """
        return try read { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.summary) }
    }

    /// Full-text search over title, summary and body, best match first (a title hit outranks a body hit).
    public func search(_ query: String, limit: Int? = nil) throws(StoreError) -> [ArticleSummary] {
        let sql = """
            SELECT \(Self.summaryColumns) FROM article_fts f
            JOIN article a ON a.handle = f.rowid \(Self.stateJoins)
            WHERE article_fts MATCH ? ORDER BY bm25(article_fts, 10.0, 4.0, 1.0), a.handle DESC LIMIT ?
            """
        do {
            return try queue.read { db in
                try Row.fetchAll(db, sql: sql, arguments: [query, limit ?? -1]).map(Self.summary)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
            throw .badQuery((error.message ?? "syntax error").replacingOccurrences(of: "fts5: ", with: ""))
        } catch {
            throw StoreError(error, path: path)
        }
    }

    /// The article with this id, or with this handle when `reference` is a number no id matches.
    public func article(_ reference: String) throws(StoreError) -> StoredArticle {
        let row: Row? = try read { db in
            let id = try resolve([reference], db)[0]
            return try Row.fetchOne(db, sql: """
                SELECT \(Self.summaryColumns), a.external_url, a.summary, a.content_html, a.content_text,
                       a.image, a.date_modified, a.authors_json, a.language, a.revision
                FROM article a \(Self.stateJoins) WHERE a.id = ?
                """, arguments: [id])
        }
        guard let row else { throw .unknownArticle(reference) }
        let summary = Self.summary(row)
        let authors = (try? JSONDecoder().decode([Author].self, from: Data((row["authors_json"] as String).utf8))) ?? []
        let article = Article(
            id: summary.id, url: summary.url, externalURL: row["external_url"], title: summary.title,
            summary: row["summary"], contentHTML: row["content_html"], contentText: row["content_text"],
            image: row["image"], datePublished: summary.datePublished,
            dateModified: (row["date_modified"] as Int64?).map(Timestamp.init(milliseconds:)),
            authors: authors, tags: summary.tags, language: row["language"], revision: row["revision"])
        return StoredArticle(summary: summary, article: article)
    }

    /// Resolves ids or handles to article ids, all or nothing.
    func resolve(_ references: [String], _ db: Database) throws -> [String] {
        try references.map { reference in
            // Prepared once, not once per reference: `mark` may name thousands.
            if let id = try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM article WHERE id = ?"),
                                            arguments: [reference]) {
                return id
            }
            if let handle = Int64(reference), reference.allSatisfy(\.isASCII),
               let id = try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM article WHERE handle = ?"),
                                            arguments: [handle]) {
                return id
            }
            throw StoreError.unknownArticle(reference)
        }
    }

    public func status() throws(StoreError) -> StoreStatus {
        try read { db in
            let counts = try Row.fetchOne(db, sql: """
                SELECT count(*) AS articles,
                       coalesce(sum(coalesce(r.value, 0) = 0), 0) AS unread,
                       coalesce(sum(coalesce(s.value, 0) = 1), 0) AS starred,
                       coalesce(sum(a.archived), 0) AS archived
                FROM article a \(Self.stateJoins)
                """)!
            let settings = try Self.settings(db)
            return StoreStatus(
                articles: counts["articles"], unread: counts["unread"], starred: counts["starred"],
                archived: counts["archived"],
                pending: try Int.fetchOne(db, sql: "SELECT count(*) FROM pending_mark") ?? 0,
                conflicts: try Int.fetchOne(db, sql: "SELECT count(*) FROM conflict_log") ?? 0,
                lastSync: settings?.lastSync,
                lastSyncWarnings: try Int.fetchOne(db, sql: "SELECT last_sync_warnings FROM sync_meta") ?? 0,
                server: settings?.serverURL, serverKind: settings?.serverKind, device: settings?.device)
        }
    }

    /// The conflict log, newest first.
    public func conflicts(limit: Int? = nil) throws(StoreError) -> [ConflictRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM conflict_log ORDER BY id DESC LIMIT ?", arguments: [limit ?? -1]).map { row in
                ConflictRecord(
                    articleID: row["article_id"], field: row["field"],
                    local: .init(value: row["local_value"],
                                 changedAt: (row["local_changed_at"] as Int64?).map(Timestamp.init(milliseconds:)),
                                 device: row["local_device"]),
                    server: .init(value: row["server_value"],
                                  changedAt: (row["server_changed_at"] as Int64?).map(Timestamp.init(milliseconds:)),
                                  device: row["server_device"]),
                    winner: ConflictRecord.Winner(rawValue: row["winner"]) ?? .server, rule: row["rule"],
                    resolvedAt: Timestamp(milliseconds: row["resolved_at"]))
            }
        }
    }

    /// A row that starts with `summaryColumns`, read by position (by name, each column costs a
    /// case-insensitive search; `search` reads hundreds of rows).
    static func summary(_ row: Row) -> ArticleSummary {
        let tagsJSON: String = row[5]
        let tags = FastWireReader.strings(in: tagsJSON)
            ?? (try? JSONDecoder().decode([String].self, from: Data(tagsJSON.utf8))) ?? []
        return ArticleSummary(
            handle: row[0], id: row[1], title: row[2], url: row[3],
            datePublished: (row[4] as Int64?).map(Timestamp.init(milliseconds:)),
            read: row[7], starred: row[8], archived: row[6], tags: tags)
    }

    static func logConflict(_ record: ConflictRecord, _ log: inout [ConflictRecord], _ db: Database) throws {
        log.append(record)
        try db.cachedStatement(sql: """
            INSERT INTO conflict_log (article_id, field, local_value, local_changed_at, local_device,
                server_value, server_changed_at, server_device, winner, rule, resolved_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                record.articleID, record.field, record.local.value, record.local.changedAt?.milliseconds,
                record.local.device, record.server.value, record.server.changedAt?.milliseconds,
                record.server.device, record.winner.rawValue, record.rule, record.resolvedAt.milliseconds,
            ])
    }
}
