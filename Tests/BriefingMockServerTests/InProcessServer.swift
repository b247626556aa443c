import BriefingMockServer
import BriefingModel
import BriefingProtocol
import BriefingTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The real router on a fresh store — in-memory SQLite, or a new PostgreSQL database on the test cluster —
/// driven in process through HummingbirdTesting.
struct InProcessServer: Sendable {
    let service: MockFeedService
    let client: any TestClientProtocol

    /// Runs `body` against a server seeded with `seeds`.
    static func run(store: StoreKind = .sqlite, seeds: [FeedItem] = sampleItems(5), generated: Int = 0,
                    token: String? = nil, accounts: [String: String]? = nil, pageSize: Int = 100,
                    policy: ConflictPolicy = .default,
                    _ body: @escaping @Sendable (InProcessServer) async throws -> Void) async throws {
        let databaseURL = store == .postgres ? try TestPostgres.freshDatabase() : nil
        let service = try await MockFeedService(configuration: MockServerConfiguration(
            seeds: seeds, generated: generated, databaseURL: databaseURL, token: token, accounts: accounts,
            pageSize: pageSize, policy: policy))
        let app = Application(router: MockServer.router(for: service))
        do {
            try await app.test(.router) { client in
                try await body(InProcessServer(service: service, client: client))
            }
        } catch {
            await service.store.close()
            throw error
        }
        await service.store.close()
    }

    func request(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:],
                 body: Data? = nil) async throws -> TestResponse {
        try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
    }

    /// One pull page, expecting 200.
    func pull(token: String? = nil, limit: Int? = nil) async throws -> FeedDocument {
        var query: [String] = []
        if let token { query.append("token=\(token)") }
        if let limit { query.append("limit=\(limit)") }
        let response = try await request(.get, "/v1/changes" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
        try #require(response.status == .ok, "pull → \(response.status): \(response.text)")
        return try WireCoding.decoder().decode(FeedDocument.self, from: response.data)
    }

    /// Every page from `token` to the end.
    func pullAll(from token: String? = nil, limit: Int? = nil) async throws -> (pages: [FeedDocument], lastToken: String) {
        var pages: [FeedDocument] = []
        var token = token
        repeat {
            let page = try await pull(token: token, limit: limit)
            pages.append(page)
            token = page.briefing!.nextToken
        } while pages.last!.briefing!.hasMore
        return (pages, token!)
    }

    /// An admin call with a JSON body (GET without one), expecting 2xx; returns the JSON answer.
    @discardableResult
    func admin(_ path: String, _ object: Any? = nil) async throws -> [String: Any] {
        let response = try await request(object == nil ? .get : .post, "/admin/" + path,
                                         headers: [.contentType: "application/json"],
                                         body: try object.map { try JSONSerialization.data(withJSONObject: $0) })
        try #require(response.status.code / 100 == 2, "admin \(path) → \(response.status): \(response.text)")
        return try #require(try JSONSerialization.jsonObject(with: response.data) as? [String: Any])
    }

    /// A push with the given Idempotency-Key.
    func push(_ mutations: [Mutation], key: String = UUID().uuidString) async throws -> TestResponse {
        try await request(.post, "/v1/mutations", headers: [HTTPField.Name("Idempotency-Key")!: key],
                          body: try WireCoding.encoder().encode(PushRequest(mutations: mutations)))
    }

    /// A push expected to succeed, decoded.
    func pushResults(_ mutations: [Mutation], key: String = UUID().uuidString) async throws -> [MutationResult] {
        let response = try await push(mutations, key: key)
        try #require(response.status == .ok, "push → \(response.status): \(response.text)")
        return try WireCoding.decoder().decode(PushResponse.self, from: response.data).results
    }
}

extension TestResponse {
    var data: Data { Data(body.readableBytesView) }
    var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }
    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

/// `count` articles `article-0000`, `article-0001`, … with short HTML bodies.
func sampleItems(_ count: Int) -> [FeedItem] {
    (0..<count).map { index in
        let id = String(format: "article-%04d", index)
        return FeedItem(id: id, url: "https://example.org/\(id)", title: "Article \(index)",
                        contentHTML: "<p>Body of article \(index).</p>", datePublished: "2026-11-28T08:00:00Z")
    }
}

/// A time `seconds` after a fixed instant, for marks whose order the test decides.
func at(_ seconds: Int64) -> Timestamp { Timestamp(milliseconds: 1_795_000_000_000 + seconds * 1000) }

func mark(_ id: String, _ article: String, _ field: StateField = .read, _ value: Bool = true, time: Timestamp,
          device: String = "laptop", baseRev: Int64 = 0, rule: ConflictRule? = nil) -> Mutation {
    Mutation(mutationID: id, articleID: article, field: field, value: value, changedAt: time, device: device,
             baseRev: baseRev, rule: rule)
}
