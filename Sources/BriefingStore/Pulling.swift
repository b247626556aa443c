import Foundation
import GRDB
import BriefingModel
import BriefingProtocol
import BriefingText

/// What applying pulled changes did.
public struct PullTally: Hashable, Sendable {
    /// Articles inserted or updated to a newer revision.
    public var pulled = 0
    /// State changes adopted from the server.
    public var states = 0
    /// Articles removed because the server deleted them (or, after a full resync, no longer has them).
    public var deleted = 0
    /// Deleted on the server but kept as archived because they are starred here.
    public var archived = 0
    public var conflicts = 0
    /// Each conflict judged, as logged.
    public var conflictRecords: [ConflictRecord] = []
    public init() {}
}

extension BriefingStore {
    /// Applies one pulled page and stores its next token in ONE transaction, so a sync killed at any
    /// moment resumes from the last page that landed whole. `maxClockOffset` is the server's ε when this
    /// sync heard it, before the store has it.
    @discardableResult
    public func applyPage(_ page: PulledPage, now: Timestamp = .now, maxClockOffset: ClockOffsetBound? = nil) throws(StoreError) -> PullTally {
        try write { db in
            guard var settings = try Self.settings(db) else { throw StoreError.notInitialised(path: path) }
            if let maxClockOffset { settings.maxClockOffset = maxClockOffset }
            var tally = PullTally()
            if let serverTime = page.serverTime { settings.clock.observe(serverTime) }
            // Pulled times are adopted only up to the server's time plus ε.
            let serverNow = page.serverTime ?? settings.markClock(now)
            for pulled in page.articles {
                if try Self.upsert(pulled, generation: settings.resyncGeneration,
                                   resyncing: settings.resyncInProgress, now: now, db) {
                    tally.pulled += 1
                }
                for field in StateField.allCases {
                    if let server = pulled.states[field] {
                        try Self.adopt(server, pulled.article.id, field, &settings, &tally, serverNow: serverNow, now: now, db)
                    }
                }
            }
            for change in page.states {
                try Self.adopt(change.server, change.articleID, change.field, &settings, &tally, serverNow: serverNow,
                               now: now, db)
            }
            for id in page.deleted {
                try Self.applyDelete(id, &tally, now: now, db)
            }
            if let token = page.nextToken {
                try db.execute(sql: "UPDATE sync_meta SET change_token = ? WHERE singleton = 1", arguments: [token])
            }
            try Self.saveClock(settings.clock, db)
            return tally
        }
    }

    /// Inserts a new article or updates one to a newer revision; a replayed revision changes nothing.
    /// An archived article the server publishes again is live again and takes the server's reader state:
    /// marks made here while it was archived were never pushed, and those it had pending lost to the delete.
    /// Returns whether the content changed.
    static func upsert(_ pulled: PulledArticle, generation: Int64, resyncing: Bool, now: Timestamp, _ db: Database) throws -> Bool {
        let a = pulled.article
        // Forgetting the local state lets `adopt` take the page's embedded state even at a rev seen before;
        // a field the server never set reads as false, as it does everywhere else.
        try db.cachedStatement(sql: """
            DELETE FROM article_state WHERE article_id = ?1 AND (SELECT archived FROM article WHERE id = ?1) = 1
            """).execute(arguments: [a.id])
        try db.cachedStatement(sql: """
            INSERT INTO article (id, url, external_url, title, summary, content_html, content_text, body_text,
                image, date_published, date_modified, authors_json, tags_json, language, revision,
                sync_generation, received_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET url = excluded.url, external_url = excluded.external_url,
                title = excluded.title, summary = excluded.summary, content_html = excluded.content_html,
                content_text = excluded.content_text, body_text = excluded.body_text, image = excluded.image,
                date_published = excluded.date_published, date_modified = excluded.date_modified,
                authors_json = excluded.authors_json, tags_json = excluded.tags_json,
                language = excluded.language, revision = excluded.revision, archived = 0,
                sync_generation = excluded.sync_generation
            WHERE excluded.revision > article.revision OR article.archived = 1
            """).execute(arguments: [
                a.id, a.url, a.externalURL, a.title, a.summary, a.contentHTML, a.contentText, pulled.bodyText,
                a.image, a.datePublished?.milliseconds, a.dateModified?.milliseconds, jsonArray(a.authors),
                jsonArray(a.tags), a.language, a.revision, generation, now.milliseconds,
            ])
        let changed = db.changesCount > 0
        if resyncing && !changed {
            try db.cachedStatement(sql: "UPDATE article SET sync_generation = ? WHERE id = ?")
                .execute(arguments: [generation, a.id])
        }
        return changed
    }

    /// Takes a server state for one field. Without a pending mark the server's state is adopted (older
    /// replays ignored). With one, the field's rule judges the pending mark against it, exactly as the
    /// server will judge the push, and a disagreement is logged.
    static func adopt(_ server: ServerState, _ id: String, _ field: StateField, _ settings: inout SyncSettings,
                      _ tally: inout PullTally, serverNow: Timestamp, now: Timestamp, _ db: Database) throws {
        settings.clock.observe(server.state.changedAt, serverTime: serverNow, bound: settings.clockBound)
        // Runs once per pulled state: the statement is prepared once per connection, not per row.
        guard let local = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT a.id, s.server_rev, s.value AS local_value, p.value AS pending_value,
                   p.changed_at AS pending_at, p.base_rev
            FROM article a
            LEFT JOIN article_state s ON s.article_id = a.id AND s.field = ?2
            LEFT JOIN pending_mark p ON p.article_id = a.id AND p.field = ?2
            WHERE a.id = ?1
            """), arguments: [id, field.rawValue]) else { return }  // pruned or never held here
        let knownRev: Int64 = local["server_rev"] ?? -1
        guard let pendingValue = local["pending_value"] as Bool? else {
            if server.rev > knownRev {
                try storeState(id, field, server.state, serverRev: server.rev, db)
                // A device's own mark coming back from the server is not news to it.
                if (local["local_value"] as Bool? ?? false) != server.state.value { tally.states += 1 }
            }
            return
        }
        let pending = FieldState(value: pendingValue, changedAt: Timestamp(milliseconds: local["pending_at"]),
                                 device: settings.device)
        let baseRev: Int64 = local["base_rev"]
        guard server.rev > baseRev, server.rev > knownRev else { return }  // the state the mark was made on
        let rule = settings.policy.rule(for: field)
        let verdict = rule.resolve(incoming: pending, current: server.state, concurrent: true)
        if verdict.winner == .current {
            try storeState(id, field, server.state, serverRev: server.rev, db)
            try db.execute(sql: "DELETE FROM pending_mark WHERE article_id = ? AND field = ?",
                           arguments: [id, field.rawValue])
            tally.states += 1
        } else {
            try db.execute(sql: "UPDATE article_state SET server_rev = ? WHERE article_id = ? AND field = ?",
                           arguments: [server.rev, id, field.rawValue])
        }
        if verdict.isConflict {
            tally.conflicts += 1
            try logConflict(ConflictRecord(
                articleID: id, field: field.rawValue, local: .init(pending), server: .init(server.state),
                winner: verdict.winner == .current ? .server : .local, rule: rule.rawValue, resolvedAt: now),
                &tally.conflictRecords, db)
        }
    }

    /// The server deleted an article: the delete wins over local marks (logged), but a starred article is
    /// kept as archived.
    static func applyDelete(_ id: String, _ tally: inout PullTally, now: Timestamp, _ db: Database) throws {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT coalesce(s.value, 0) AS starred, a.archived FROM article a
            LEFT JOIN article_state s ON s.article_id = a.id AND s.field = 'starred' WHERE a.id = ?
            """, arguments: [id]) else { return }
        if row["archived"] as Bool { return }
        for mark in try pendingMarks(db, sql: "SELECT * FROM pending_mark WHERE article_id = ?", arguments: [id]) {
            tally.conflicts += 1
            try logConflict(ConflictRecord(
                articleID: id, field: mark.field.rawValue, local: .init(mark.state), server: .init(value: "deleted"),
                winner: .server, rule: "delete-wins", resolvedAt: now), &tally.conflictRecords, db)
        }
        if row["starred"] as Bool {
            try db.execute(sql: "DELETE FROM pending_mark WHERE article_id = ?", arguments: [id])
            try db.execute(sql: "UPDATE article SET archived = 1 WHERE id = ?", arguments: [id])
            try logConflict(ConflictRecord(
                articleID: id, field: "article", local: .init(value: "starred"), server: .init(value: "deleted"),
                winner: .server, rule: "delete-wins; kept as archived", resolvedAt: now), &tally.conflictRecords, db)
            tally.archived += 1
            tally.conflicts += 1
        } else {
            try db.execute(sql: "DELETE FROM article WHERE id = ?", arguments: [id])
            tally.deleted += 1
        }
    }

    /// Starts a pull from the beginning (after a 410, or `sync --full`): forgets the token and opens a new
    /// pass; articles the pass does not see are removed by `finishFullResync`. Pending marks stay.
    public func beginFullResync() throws(StoreError) {
        try write { db in
            try db.execute(sql: """
                UPDATE sync_meta SET change_token = NULL, resync_in_progress = 1,
                    resync_generation = resync_generation + 1 WHERE singleton = 1
                """)
        }
    }

    /// Ends a full resync: articles the pass did not see are gone from the server, so they are removed,
    /// or archived when starred.
    public func finishFullResync(now: Timestamp = .now) throws(StoreError) -> PullTally {
        try write { db in
            var tally = PullTally()
            let generation = try Int64.fetchOne(db, sql: "SELECT resync_generation FROM sync_meta") ?? 0
            let gone = try String.fetchAll(db, sql: """
                SELECT id FROM article WHERE sync_generation < ? AND archived = 0
                """, arguments: [generation])
            for id in gone { try Self.applyDelete(id, &tally, now: now, db) }
            try db.execute(sql: "UPDATE sync_meta SET resync_in_progress = 0 WHERE singleton = 1")
            return tally
        }
    }

    /// Records a finished sync.
    public func recordSync(at time: Timestamp) throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE sync_meta SET last_sync = ? WHERE singleton = 1",
                                          arguments: [time.milliseconds]) }
    }

    /// Removes read, unstarred articles older than `days` (by date_published, else arrival) that have no
    /// pending mark. Unread and starred articles are never removed.
    public func prune(olderThanDays days: Int, now: Timestamp = .now) throws(StoreError) -> Int {
        let cutoff = now.milliseconds - Int64(days) * 86_400_000
        return try write { db in
            try db.execute(sql: """
                DELETE FROM article WHERE coalesce(date_published, received_at) < ?
                  AND EXISTS (SELECT 1 FROM article_state r WHERE r.article_id = article.id AND r.field = 'read' AND r.value = 1)
                  AND NOT EXISTS (SELECT 1 FROM article_state s WHERE s.article_id = article.id AND s.field = 'starred' AND s.value = 1)
                  AND NOT EXISTS (SELECT 1 FROM pending_mark p WHERE p.article_id = article.id)
                """, arguments: [cutoff])
            return db.changesCount
        }
    }
}

/// A JSON array of strings or authors, written directly: this runs for every pulled article.
func jsonArray(_ strings: [String]) -> String {
    "[" + strings.map { JSONString.quoted($0) }.joined(separator: ",") + "]"
}

func jsonArray(_ authors: [Author]) -> String {
    "[" + authors.map { author in
        let members = [("name", author.name), ("url", author.url), ("avatar", author.avatar)]
            .compactMap { key, value in value.map { "\"\(key)\":\(JSONString.quoted($0))" } }
        return "{" + members.joined(separator: ",") + "}"
    }.joined(separator: ",") + "]"
}
