import BriefingModel
import BriefingProtocol
import Foundation
import GRDB

/// Why a push was refused as a whole; nothing of it was applied or recorded.
public enum PushRejection: Error, Sendable, Equatable {
    /// The Idempotency-Key was used before with a different body.
    case keyReusedWithDifferentBody
    /// The body is not a `PushRequest`.
    case undecodable(String)
    /// More mutations than one push may carry.
    case tooManyMutations(Int)
}

/// The clocks a push is judged by: the server's time, the pushing device's reading (`Briefing-Client-Time`,
/// nil when it sent none) and ε.
public struct PushClock: Sendable {
    public var serverNow: Timestamp
    public var clientTime: Timestamp?
    public var bound: ClockOffsetBound

    public init(serverNow: Timestamp, clientTime: Timestamp? = nil, bound: ClockOffsetBound = .default) {
        self.serverNow = serverNow
        self.clientTime = clientTime
        self.bound = bound
    }

    /// The state a mark is judged as, and the adjustment to report (nil when its time was taken as sent).
    func judged(_ state: FieldState) -> (FieldState, Int64?) {
        let (time, adjustment) = bound.judgedTime(of: state.changedAt, clientTime: clientTime, serverNow: serverNow)
        return (FieldState(value: state.value, changedAt: time, device: state.device), adjustment == 0 ? nil : adjustment)
    }
}

/// A push's HTTP answer as stored under its Idempotency-Key and replayed verbatim for a retry.
public struct StoredResponse: Sendable, Equatable {
    public var status: Int
    public var body: Data
}

extension FeedStore {
    /// Judges a push in one transaction: replays the stored response for a key seen with the same body,
    /// refuses a key seen with another body, otherwise judges each mutation in order and stores the
    /// response under the key.
    ///
    /// - Parameter request: the decoded body, or why it could not be decoded; only consulted for a new key.
    public func push(account: String, key: String, body: Data, request: Result<PushRequest, PushRejection>,
                     policy: ConflictPolicy, clock: PushClock) async throws -> StoredResponse {
        try await writer.write { db in
            if let record = try Row.fetchOne(db, sql: """
                SELECT request_body, response_status, response_body FROM idempotency_record WHERE account = ? AND key = ?
                """, arguments: [account, key]) {
                guard (record["request_body"] as Data) == body else { throw PushRejection.keyReusedWithDifferentBody }
                return StoredResponse(status: record["response_status"], body: record["response_body"])
            }
            let mutations = try request.get().mutations
            guard mutations.count <= Endpoint.maxMutationsPerPush else {
                throw PushRejection.tooManyMutations(mutations.count)
            }
            // Each result is encoded once: stored with its mutation id and spliced into the response.
            var counts = AccountCounters()
            let results = try mutations.map { mutation in
                let judged = try Self.judge(db, account: account, mutation, policy: policy, clock: clock)
                counts.count(judged.result.status)
                return judged.json
            }
            try Self.addCounters(db, account: account, counts)
            var writer = WireJSONWriter(capacity: results.reduce(64) { $0 + $1.utf8.count + 1 })
            writer.pushResponse(serverTime: clock.serverNow, results: results)
            let response = StoredResponse(status: 200, body: Data(writer.bytes))
            try db.execute(sql: """
                INSERT INTO idempotency_record (account, key, request_body, response_status, response_body)
                VALUES (?, ?, ?, ?, ?)
                """, arguments: [account, key, body, response.status, response.body])
            return response
        }
    }

    /// Judges one mutation against the field's stored state with the shared conflict rules, stores the
    /// winner, and records the mutation id with its outcome, all for one account (the caller counts it);
    /// returns the outcome and its wire JSON. A `changed_at` from a clock more than ε off is rebased or
    /// clamped first (`PushClock.judged`), and the result says by how much. Runs up to 1000 times per push:
    /// its statements are prepared once per connection.
    static func judge(_ db: Database, account: String, _ mutation: Mutation, policy: ConflictPolicy,
                      clock: PushClock) throws -> (result: MutationResult, json: String) {
        let rule = mutation.rule ?? policy.rule(for: mutation.field)
        let current = try state(db, account: account, article: mutation.articleID, field: mutation.field)
        var result = MutationResult(mutationID: mutation.mutationID, articleID: mutation.articleID,
                                    field: mutation.field, status: .applied, state: current, rule: rule)
        if try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM seen_mutation WHERE account = ? AND mutation_id = ?)
            """), arguments: [account, mutation.mutationID])! {
            result.status = .duplicate
            return (result, encoded(result))
        }
        if try !isLive(db, article: mutation.articleID) {
            result.status = .gone
            result.state = nil
        } else {
            let concurrent = current.map { mutation.baseRev < $0.rev } ?? false
            let (incoming, adjustment) = clock.judged(mutation.fieldState)
            result.clockAdjustedMs = adjustment
            let verdict = rule.resolve(incoming: incoming, current: current?.fieldState, concurrent: concurrent)
            if verdict.winner == .incoming {
                result.state = try storeState(db, account: account, article: mutation.articleID, field: mutation.field,
                                              state: incoming)
            } else {
                result.status = .conflict
            }
        }
        let json = encoded(result)
        try db.cachedStatement(sql: "INSERT INTO seen_mutation (account, mutation_id, status, result_json) VALUES (?, ?, ?, ?)")
            .execute(arguments: [account, mutation.mutationID, result.status.rawValue, json])
        return (result, json)
    }

    /// A mutation result as `WireCoding.encoder()` would write it.
    static func encoded(_ result: MutationResult) -> String {
        var writer = WireJSONWriter(capacity: 256)
        writer.mutationResult(result)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
