import Foundation
import GRDB
import BriefingModel
import BriefingProtocol

/// The server's answer to one pushed mark.
public struct PushVerdict: Hashable, Sendable {
    public var mutationID: String
    public var status: MutationStatus
    /// The field's state on the server after judging; nil for `gone`.
    public var server: ServerState?
    public var rule: ConflictRule
    public init(mutationID: String, status: MutationStatus, server: ServerState?, rule: ConflictRule) {
        self.mutationID = mutationID
        self.status = status
        self.server = server
        self.rule = rule
    }
}

/// What a batch of push results did to the store.
public struct PushTally: Hashable, Sendable {
    public var acknowledged = 0
    public var conflicts = 0
    public var gone = 0
    /// Each conflict judged, as logged.
    public var conflictRecords: [ConflictRecord] = []
    public init() {}
}

extension BriefingStore {
    /// Clears in-flight flags a killed sync left behind, so those marks are pushed again (their mutation
    /// ids make a second delivery harmless).
    public func releaseAllInFlight() throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE pending_mark SET in_flight = 0 WHERE in_flight = 1") }
    }

    /// Takes up to `limit` pending marks that are not in flight and flags them in flight, in one transaction.
    public func takeForPush(limit: Int) throws(StoreError) -> [PendingMark] {
        try write { db in
            let marks = try Self.pendingMarks(db, sql: """
                SELECT * FROM pending_mark WHERE in_flight = 0 ORDER BY changed_at, article_id, field LIMIT ?
                """, arguments: [limit])
            // The same rows, flagged by one statement (one index walk, not one look-up per mark).
            try db.cachedStatement(sql: """
                UPDATE pending_mark SET in_flight = 1 WHERE mutation_id IN (
                    SELECT mutation_id FROM pending_mark WHERE in_flight = 0 ORDER BY changed_at, article_id, field LIMIT ?)
                """).execute(arguments: [limit])
            return marks
        }
    }

    /// Puts marks back in the queue after a push that got no answer.
    public func releaseInFlight(_ mutationIDs: [String]) throws(StoreError) {
        try write { db in
            for id in mutationIDs {
                try db.cachedStatement(sql: "UPDATE pending_mark SET in_flight = 0 WHERE mutation_id = ?")
                    .execute(arguments: [id])
            }
        }
    }

    /// Settles pushed marks by the server's verdicts, in one transaction: acknowledged marks leave the
    /// outbox; a conflict adopts the server's winner and is logged; `gone` drops the mark (the pull brings
    /// the tombstone). A mark replaced locally while its push was on the wire has a new mutation id and
    /// stays queued.
    public func settlePush(_ verdicts: [PushVerdict], serverTime: Timestamp?, now: Timestamp = .now,
                           maxClockOffset: ClockOffsetBound? = nil) throws(StoreError) -> PushTally {
        try write { db in
            var tally = PushTally()
            let settings = try Self.settings(db)
            var clock = settings?.clock ?? HybridClock()
            let bound = maxClockOffset ?? settings?.clockBound ?? .default
            if let serverTime { clock.observe(serverTime) }
            let serverNow = serverTime ?? settings?.markClock(now) ?? now
            // The answered marks in one query, not one per verdict (a mark replaced while its push was on the
            // wire has a new mutation id, so this answer does not settle it).
            let ids = jsonArray(verdicts.map(\.mutationID))
            let answered = try Dictionary(
                Self.pendingMarks(db, sql: "SELECT * FROM pending_mark WHERE mutation_id IN (SELECT value FROM json_each(?))",
                                  arguments: [ids]).map { ($0.mutationID, $0) },
                uniquingKeysWith: { first, _ in first })
            for verdict in verdicts {
                guard let mark = answered[verdict.mutationID] else { continue }
                try db.cachedStatement(sql: "DELETE FROM pending_mark WHERE mutation_id = ?")
                    .execute(arguments: [verdict.mutationID])
                switch verdict.status {
                case .applied, .duplicate:
                    tally.acknowledged += 1
                    if let server = verdict.server {
                        try Self.storeState(mark.articleID, mark.field, server.state, serverRev: server.rev, db)
                        clock.observe(server.state.changedAt, serverTime: serverNow, bound: bound)
                    } else {
                        // A duplicate without a state: the first delivery was `gone` (its answer was lost)
                        // and the server still has no state for the field, so the mark never took effect.
                        // If the article is live again no tombstone will come to correct the local value.
                        try db.cachedStatement(sql: "DELETE FROM article_state WHERE article_id = ? AND field = ?")
                            .execute(arguments: [mark.articleID, mark.field.rawValue])
                    }
                case .conflict:
                    tally.conflicts += 1
                    if let server = verdict.server {
                        try Self.storeState(mark.articleID, mark.field, server.state, serverRev: server.rev, db)
                        clock.observe(server.state.changedAt, serverTime: serverNow, bound: bound)
                        try Self.logConflict(ConflictRecord(
                            articleID: mark.articleID, field: mark.field.rawValue, local: .init(mark.state),
                            server: .init(server.state), winner: server.state == mark.state ? .local : .server,
                            rule: verdict.rule.rawValue, resolvedAt: now), &tally.conflictRecords, db)
                    }
                case .gone:
                    tally.gone += 1
                }
            }
            try Self.saveClock(clock, db)
            return tally
        }
    }
}
