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
                     policy: ConflictPolicy, serverTime: Timestamp) async throws -> StoredResponse {
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
            let encoder = WireCoding.encoder()
            var counts = AccountCounters()
            let results = try mutations.map { mutation in
                let result = try Self.judge(db, account: account, mutation, policy: policy, encoder: encoder)
                counts.count(result.status)
                return result
            }
            try Self.addCounters(db, account: account, counts)
            let response = StoredResponse(
                status: 200,
                body: try WireCoding.encoder().encode(PushResponse(serverTime: serverTime, results: results)))
            try db.execute(sql: """
                INSERT INTO idempotency_record (account, key, request_body, response_status, response_body)
                VALUES (?, ?, ?, ?, ?)
                """, arguments: [account, key, body, response.status, response.body])
            return response
        }
    }

    /// Judges one mutation against the field's stored state with the shared conflict rules, stores the
    /// winner, and records the mutation id with its outcome, all for one account (the caller counts it).
    /// Runs up to 1000 times per push: its statements are prepared once per connection.
    static func judge(_ db: Database, account: String, _ mutation: Mutation, policy: ConflictPolicy,
                      encoder: JSONEncoder = WireCoding.encoder()) throws -> MutationResult {
        let rule = mutation.rule ?? policy.rule(for: mutation.field)
        let current = try state(db, account: account, article: mutation.articleID, field: mutation.field)
        var result = MutationResult(mutationID: mutation.mutationID, articleID: mutation.articleID,
                                    field: mutation.field, status: .applied, state: current, rule: rule)
        if try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM seen_mutation WHERE account = ? AND mutation_id = ?)
            """), arguments: [account, mutation.mutationID])! {
            result.status = .duplicate
            return result
        }
        if try !isLive(db, article: mutation.articleID) {
            result.status = .gone
            result.state = nil
        } else {
            let concurrent = current.map { mutation.baseRev < $0.rev } ?? false
            let verdict = rule.resolve(incoming: mutation.fieldState, current: current?.fieldState, concurrent: concurrent)
            if verdict.winner == .incoming {
                result.state = try storeState(db, account: account, article: mutation.articleID, field: mutation.field,
                                              state: mutation.fieldState)
            } else {
                result.status = .conflict
            }
        }
        try db.cachedStatement(sql: "INSERT INTO seen_mutation (account, mutation_id, status, result_json) VALUES (?, ?, ?, ?)")
            .execute(arguments: [account, mutation.mutationID, result.status.rawValue,
                                 String(decoding: try encoder.encode(result), as: UTF8.self)])
        return result
    }
}
