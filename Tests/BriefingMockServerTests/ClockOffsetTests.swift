import BriefingMockServer
import BriefingModel
import BriefingProtocol
import BriefingTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

private let day: Int64 = 86_400_000
/// The server's clock in these tests: fixed, so the times a test pushes are exact.
private let serverNow = at(1_000)
private func plus(_ ms: Int64) -> Timestamp { Timestamp(milliseconds: serverNow.milliseconds + ms) }

/// How the server bounds clock offset (ε, `--max-clock-offset`): marks from a clock more than ε off are
/// rebased by the offset the push's `Briefing-Client-Time` shows, or clamped to the server's time.
@Suite struct ClockOffsetTests {
    @Test(arguments: StoreKind.allCases) func aMarkFromADeviceADayFastIsRebasedAndTheResultSaysSo(store: StoreKind) async throws {
        try await withServer(store: store) { server in
            let answer = try await push(server, [mark("m-1", "article-0001", time: plus(day - 5_000), device: "fast")],
                                        clientTime: plus(day))
            let result = try #require(answer.results.first)
            #expect(result.status == .applied)
            #expect(result.state?.changedAt == plus(-5_000))
            #expect(result.clockAdjustedMs == -day)
            #expect(try await server.admin("state")["mutations_clock_adjusted"] as? Int == 1)
        }
    }

    @Test(arguments: StoreKind.allCases) func aLaterRealTimeMarkBeatsAnEarlierOneFromAFastDevice(store: StoreKind) async throws {
        try await withServer(store: store) { server in
            _ = try await push(server, [mark("fast-1", "article-0001", time: plus(day - 2_000), device: "fast")],
                               clientTime: plus(day))
            let answer = try await push(server, [mark("ok-1", "article-0001", .read, false, time: plus(-1_000), device: "ok")],
                                        clientTime: plus(0))
            #expect(answer.results.map(\.status) == [.applied])
            #expect(answer.results.first?.clockAdjustedMs == nil)
        }
    }

    @Test(arguments: StoreKind.allCases) func withAHugeBoundTheFastDeviceStillWinsAsBefore(store: StoreKind) async throws {
        try await withServer(store: store, maxClockOffset: ClockOffsetBound(milliseconds: 10 * day)) { server in
            _ = try await push(server, [mark("fast-1", "article-0001", time: plus(day - 2_000), device: "fast")],
                               clientTime: plus(day))
            let answer = try await push(server, [mark("ok-1", "article-0001", .read, false, time: plus(-1_000), device: "ok")],
                                        clientTime: plus(0))
            #expect(answer.results.map(\.status) == [.conflict])
        }
    }

    @Test(arguments: StoreKind.allCases) func aClockWithinTheBoundIsTakenAtItsWord(store: StoreKind) async throws {
        try await withServer(store: store) { server in
            let answer = try await push(server, [mark("m-1", "article-0001", time: plus(30_000))], clientTime: plus(30_000))
            #expect(answer.results.first?.state?.changedAt == plus(30_000))
            #expect(answer.results.first?.clockAdjustedMs == nil)
            #expect(try await server.admin("state")["mutations_clock_adjusted"] as? Int == 0)
        }
    }

    @Test(arguments: StoreKind.allCases) func withoutAClockReadingAChangedAtBeyondTheBoundIsClampedToTheServersTime(store: StoreKind) async throws {
        try await withServer(store: store) { server in
            let answer = try await push(server, [mark("m-1", "article-0001", time: plus(day)),
                                                 mark("m-2", "article-0002", time: plus(50_000))], clientTime: nil)
            #expect(answer.results.map { $0.state?.changedAt } == [serverNow, plus(50_000)])
            #expect(answer.results.map(\.clockAdjustedMs) == [-day, nil])
        }
    }

    @Test(arguments: StoreKind.allCases) func anAdminMarkFromTheFutureIsClampedToo(store: StoreKind) async throws {
        try await withServer(store: store) { server in
            let answer = try await server.admin("state", ["id": "article-0001", "field": "read", "value": true,
                                                          "changed_at": plus(day).rfc3339, "device": "tablet"])
            #expect(answer["clock_adjusted_ms"] as? Int == Int(-day))
            #expect((answer["state"] as? [String: Any])?["changed_at"] as? String == serverNow.rfc3339)
        }
    }

    @Test func aClientTimeThatIsNotAnRFC3339TimeIs400() async throws {
        try await withServer { server in
            let response = try await server.request(
                .post, "/v1/mutations",
                headers: [HTTPField.Name("Idempotency-Key")!: "k", HTTPField.Name("Briefing-Client-Time")!: "yesterday"],
                body: try WireCoding.encoder().encode(PushRequest(mutations: [mark("m-1", "article-0001", time: at(1))])))
            #expect(response.status == .badRequest)
            #expect(try response.json()["error"] as? String == "Briefing-Client-Time is not an RFC 3339 time")
        }
    }

    @Test func everyResponseAnnouncesTheBoundInSeconds() async throws {
        try await withServer(maxClockOffset: ClockOffsetBound(milliseconds: 90_000)) { server in
            let response = try await server.request(.get, "/v1/changes")
            #expect(response.headers[HTTPField.Name("Briefing-Max-Clock-Offset")!] == "90")
        }
    }
}

/// The real router on a fresh store (in-memory SQLite, or a new PostgreSQL database on the test cluster)
/// whose clock reads `serverNow`.
private func withServer(store: StoreKind = .sqlite, maxClockOffset: ClockOffsetBound = .default,
                        _ body: @escaping @Sendable (InProcessServer) async throws -> Void) async throws {
    let databaseURL = store == .postgres ? try TestPostgres.freshDatabase() : nil
    let service = try await MockFeedService(
        configuration: MockServerConfiguration(seeds: sampleItems(3), databaseURL: databaseURL,
                                               maxClockOffset: maxClockOffset),
        clock: ServerClock(wallClock: { serverNow }))
    do {
        try await Application(router: MockServer.router(for: service)).test(.router) { client in
            try await body(InProcessServer(service: service, client: client))
        }
    } catch {
        await service.store.close()
        throw error
    }
    await service.store.close()
}

private func push(_ server: InProcessServer, _ mutations: [Mutation], clientTime: Timestamp?) async throws -> PushResponse {
    var headers: HTTPFields = [HTTPField.Name("Idempotency-Key")!: UUID().uuidString]
    if let clientTime { headers[HTTPField.Name("Briefing-Client-Time")!] = clientTime.rfc3339 }
    let response = try await server.request(.post, "/v1/mutations", headers: headers,
                                            body: try WireCoding.encoder().encode(PushRequest(mutations: mutations)))
    try #require(response.status == .ok, "push → \(response.status): \(response.text)")
    return try WireCoding.decoder().decode(PushResponse.self, from: response.data)
}
