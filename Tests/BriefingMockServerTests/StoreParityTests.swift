import BriefingMockServer
import BriefingModel
import BriefingProtocol
import BriefingTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Both stores answer the protocol with the same bytes: the same history played against SQLite and
/// PostgreSQL gives byte-identical pull pages, push answers and admin state — but for the token epoch,
/// which each fresh store draws at random (so a token from another server is never taken for its own).
@Suite struct StoreParityTests {
    @Test func sqliteAndPostgresAnswerTheSameHistoryWithTheSameBytes() async throws {
        let sqlite = try await answers(.sqlite).map(withoutTokenEpoch)
        let postgres = try await answers(.postgres).map(withoutTokenEpoch)
        #expect(sqlite.count == postgres.count)
        for (index, (left, right)) in zip(sqlite, postgres).enumerated() {
            #expect(left == right, "answer \(index) differs:\nsqlite:   \(String(decoding: left, as: UTF8.self))\npostgres: \(String(decoding: right, as: UTF8.self))")
        }
    }
}

private let serverNow = at(1_000)

/// The answer with each `next_token` ("EPOCH:SEQUENCE" in unpadded base64url) replaced by its sequence.
private func withoutTokenEpoch(_ answer: Data) -> Data {
    var text = String(decoding: answer, as: UTF8.self)
    while let start = text.range(of: "\"next_token\":\""),
          let end = text.range(of: "\"", range: start.upperBound..<text.endIndex) {
        var base64 = String(text[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        let decoded = Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        text.replaceSubrange(start.lowerBound..<end.upperBound,
                             with: "\"sequence_of_token\":\"" + (decoded.split(separator: ":").last.map(String.init) ?? "?") + "\"")
    }
    return Data(text.utf8)
}

/// Pushes (one mark a day ahead, rebased; a duplicate, a conflict, a gone), a device mark from the future
/// (clamped) and an edit,
/// then every pull page from the beginning, three changes a page, and the admin state.
private func answers(_ store: StoreKind) async throws -> [Data] {
    let databaseURL = store == .postgres ? try TestPostgres.freshDatabase() : nil
    let service = try await MockFeedService(
        configuration: MockServerConfiguration(seeds: sampleItems(5), databaseURL: databaseURL),
        clock: ServerClock(wallClock: { serverNow }))
    let collected = try await Application(router: MockServer.router(for: service)).test(.router) { client in
        var collected: [Data] = []
        let server = InProcessServer(service: service, client: client)
        func push(_ key: String, _ mutations: [Mutation], clientTime: Timestamp) async throws -> Data {
            let response = try await server.request(
                .post, "/v1/mutations",
                headers: [HTTPField.Name("Idempotency-Key")!: key, HTTPField.Name("Briefing-Client-Time")!: clientTime.rfc3339],
                body: try WireCoding.encoder().encode(PushRequest(mutations: mutations)))
            try #require(response.status == .ok, "push → \(response.status): \(response.text)")
            return response.data
        }
        collected.append(try await push("k-1", [
            mark("m-1", "article-0001", time: Timestamp(milliseconds: serverNow.milliseconds + 86_400_000 - 5_000), device: "fast"),
            mark("m-2", "article-0002", .starred, true, time: at(990), device: "phone"),
        ], clientTime: Timestamp(milliseconds: serverNow.milliseconds + 86_400_000)))
        collected.append(try await push("k-2", [
            mark("m-1", "article-0001", time: at(995)),
            mark("m-3", "article-0002", .starred, false, time: at(900), device: "tablet", baseRev: 1),
            mark("m-4", "article-0099", time: at(995)),
        ], clientTime: serverNow))
        _ = try await server.admin("state", ["id": "article-0003", "field": "read", "value": true,
                                             "changed_at": at(100_000).rfc3339, "device": "tablet"])
        _ = try await server.admin("articles", ["items": [["id": "article-0000", "title": "Edited", "content_text": "new"]]])
        var token: String?
        repeat {
            let response = try await server.request(
                .get, "/v1/changes?limit=3" + (token.map { "&token=" + $0 } ?? ""))
            try #require(response.status == .ok, "pull → \(response.status): \(response.text)")
            collected.append(response.data)
            let info = try #require(try response.json()["_briefing"] as? [String: Any])
            token = (info["has_more"] as? Bool == true) ? info["next_token"] as? String : nil
        } while token != nil
        let state = try await server.request(.get, "/admin/state")
        collected.append(state.data)
        return collected
    }
    await service.store.close()
    return collected
}
