import BriefingModel
import BriefingProtocol
import BriefingTestSupport
import Foundation
import Testing

/// Two real `briefing-mock-server` processes on one PostgreSQL database: one protocol, either instance.
@Suite struct SharedDatabaseTests {
    @Test func tokensFromOneInstanceAreUnderstoodByTheOther() throws {
        let (first, second) = try twoInstances(seeds: sampleItems(3))
        let token = try pullPage(first).briefing!.nextToken
        try first.admin("articles", ["id": "article-0001", "content_text": "edited"])
        _ = try pushRaw(second, [mark("m-1", "article-0002", time: at(1))], key: "k-1")
        let page = try pullPage(second, token: token)
        #expect(page.items.map(\.id) == ["article-0001"])
        #expect(page.briefing!.states.map(\.id) == ["article-0002"])
        let upToDate = try pullPage(first, token: page.briefing!.nextToken)
        #expect(upToDate.items.isEmpty && upToDate.briefing!.states.isEmpty && !upToDate.briefing!.hasMore)
    }

    @Test func pushWhoseAnswerIsLostOnOneInstanceAndRetriedOnTheOtherIsAppliedOnce() throws {
        let (first, second) = try twoInstances(seeds: sampleItems(3))
        let mutations = [mark("m-1", "article-0001", time: at(1)), mark("m-2", "article-0002", .starred, time: at(2))]
        // `truncate` judges the push, then cuts its answer: the client saw no result.
        try first.admin("faults", ["kind": "truncate", "path": "/v1/mutations"])
        let lost = try? pushRaw(first, mutations, key: "push-1")
        #expect(lost == nil || lost!.status != 200 || (try? WireCoding.decoder().decode(PushResponse.self, from: lost!.body)) == nil)
        let retried = try pushRaw(second, mutations, key: "push-1")
        #expect(retried.status == 200)
        let results = try WireCoding.decoder().decode(PushResponse.self, from: retried.body).results
        #expect(results.map(\.status) == [.applied, .applied])
        let state = try #require(try second.admin("state") as? [String: Any])
        #expect(state["mutations_applied"] as? Int == 2)
        #expect(state["mutations_duplicate"] as? Int == 0)
        // The same marks under a new key (a client that lost its key) are duplicates, not applied again.
        let again = try pushRaw(first, mutations, key: "push-2")
        #expect(try WireCoding.decoder().decode(PushResponse.self, from: again.body).results.map(\.status)
                == [.duplicate, .duplicate])
    }

    @Test func concurrentDuplicatePushesToBothInstancesApplyEachMutationOnce() throws {
        let (first, second) = try twoInstances(seeds: sampleItems(20))
        let rounds = 10
        let outcomes = Outcomes()
        // Each round: the same push (same key, same body) to both instances at once, and the same
        // mutations under a second key to both as well: four racing requests per round.
        DispatchQueue.concurrentPerform(iterations: rounds * 4) { index in
            let round = index / 4
            let mutations: [Mutation] = (0..<5).map { (article: Int) -> Mutation in
                let id = String(format: "article-%04d", (round + article) % 20)
                let field: StateField = article % 2 == 0 ? .read : .starred
                let time = at(Int64(round * 10 + article))
                return mark("r\(round)-a\(article)", id, field, round % 2 == 0, time: time, device: "device-\(round % 3)")
            }
            let server = index % 2 == 0 ? first : second
            let key = "round-\(round)-" + (index % 4 < 2 ? "a" : "b")
            do {
                let response = try pushRaw(server, mutations, key: key)
                let decoded = try WireCoding.decoder().decode(PushResponse.self, from: response.body)
                outcomes.add(key: key, body: response.body, results: decoded.results)
            } catch {
                outcomes.fail("\(key): \(error)")
            }
        }
        #expect(outcomes.failures.isEmpty, "\(outcomes.failures)")
        let applied = outcomes.results.filter { $0.status == .applied }.map(\.mutationID)
        // Every mutation id was judged once (applied or conflict) and answered `duplicate` otherwise.
        let judged = outcomes.results.filter { $0.status != .duplicate }.map(\.mutationID)
        #expect(Set(judged).count == rounds * 5)
        #expect(outcomes.bodiesDifferingPerKey.isEmpty, "responses under one key differ: \(outcomes.bodiesDifferingPerKey)")
        let state = try #require(try first.admin("state") as? [String: Any])
        #expect(state["mutations_applied"] as? Int == Set(applied).count)
        #expect((state["mutations_applied"] as? Int ?? 0) + (state["mutations_conflict"] as? Int ?? 0) == rounds * 5)
    }

    @Test func stateSurvivesARestartOfEveryInstance() throws {
        let database = try TestPostgres.freshDatabase()
        let seeds = try seedFolder(sampleItems(3))
        let first = try MockServerProcess(arguments: ["--seeds", seeds.url.path, "--database", database])
        let token = try pullPage(first).briefing!.nextToken
        let pushed = try pushRaw(first, [mark("m-1", "article-0001", time: at(1))], key: "push-1")
        let before = try first.admin("state") as? NSDictionary
        #expect(first.stop() == 0)

        let again = try MockServerProcess(arguments: ["--seeds", seeds.url.path, "--database", database])
        #expect(try again.admin("state") as? NSDictionary == before)
        #expect(try pushRaw(again, [mark("m-1", "article-0001", time: at(1))], key: "push-1").body == pushed.body)
        #expect(try pullPage(again, token: token).briefing!.states.map(\.id) == ["article-0001"])
    }

    @Test func unreachableDatabaseExits74WithOneLine() throws {
        let result = try run("briefing-mock-server", ["--database", "postgres://nobody@127.0.0.1:1/none"], timeout: 60)
        #expect(result.status == 74)
        #expect(result.err.hasPrefix("briefing-mock-server: error: cannot open the store postgres://nobody@127.0.0.1:1/none"))
        #expect(result.err.split(separator: "\n").count == 1)
    }
}

/// Two server processes on one fresh PostgreSQL database, seeded with `seeds`.
func twoInstances(seeds: [FeedItem]) throws -> (MockServerProcess, MockServerProcess) {
    let database = try TestPostgres.freshDatabase()
    let folder = try seedFolder(seeds)
    let first = try MockServerProcess(arguments: ["--seeds", folder.url.path, "--database", database])
    let second = try MockServerProcess(arguments: ["--seeds", folder.url.path, "--database", database])
    return (first, second)
}

private func pullPage(_ server: MockServerProcess, token: String? = nil) throws -> FeedDocument {
    let response = try HTTP.get(server.url("/v1/changes" + (token.map { "?token=\($0)" } ?? "")))
    guard response.status == 200 else {
        throw TestError("pull → \(response.status): \(String(decoding: response.body, as: UTF8.self))")
    }
    return try WireCoding.decoder().decode(FeedDocument.self, from: response.body)
}

private func pushRaw(_ server: MockServerProcess, _ mutations: [Mutation], key: String) throws -> HTTP.Response {
    try HTTP.send("POST", server.url("/v1/mutations"), body: try WireCoding.encoder().encode(PushRequest(mutations: mutations)),
                  headers: ["Idempotency-Key": key, "Content-Type": "application/json"])
}

private func seedFolder(_ items: [FeedItem]) throws -> TemporaryDirectory {
    let folder = try TemporaryDirectory()
    try writeFeed(items, to: folder.url.appendingPathComponent("seed.json"))
    return folder
}

/// What racing pushes answered, collected from many threads.
private final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var results: [MutationResult] = []
    private(set) var failures: [String] = []
    private var bodies: [String: Set<Data>] = [:]

    func add(key: String, body: Data, results: [MutationResult]) {
        lock.withLock {
            self.results += results
            bodies[key, default: []].insert(body)
        }
    }

    func fail(_ message: String) { lock.withLock { failures.append(message) } }

    var bodiesDifferingPerKey: [String] { lock.withLock { bodies.filter { $0.value.count > 1 }.map(\.key) } }
}
