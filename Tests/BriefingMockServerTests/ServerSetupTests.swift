import BriefingModel
import BriefingProtocol
import BriefingTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import BriefingMockServer

/// Auth, admin access, faults in process, seeds, tokens and the embedded schema.
@Suite struct ServerSetupTests {
    @Test(arguments: StoreKind.allCases) func protocolRequestsNeedTheBearerTokenButAdminDoesNot(store: StoreKind) async throws {
        try await InProcessServer.run(store: store, token: "s3cret") { server in
            let missing = try await server.request(.get, "/v1/changes")
            let wrong = try await server.request(.get, "/v1/changes", headers: [.authorization: "Bearer nope"])
            let wrongPush = try await server.request(.post, "/v1/mutations", headers: [.authorization: "Bearer nope"])
            let right = try await server.request(.get, "/v1/changes", headers: [.authorization: "Bearer s3cret"])
            #expect([missing.status, wrong.status, wrongPush.status] == [.unauthorized, .unauthorized, .unauthorized])
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")
            #expect(try missing.json()["error"] is String)
            #expect(right.status == .ok)
            #expect(try await server.admin("state")["articles"] is [Any])
        }
    }

    @Test func adminAnswersLoopbackPeersOnly() throws {
        #expect(LoopbackOnlyMiddleware.admits(try SocketAddress(ipAddress: "127.0.0.1", port: 5000)))
        #expect(LoopbackOnlyMiddleware.admits(try SocketAddress(ipAddress: "127.8.9.10", port: 5000)))
        #expect(LoopbackOnlyMiddleware.admits(try SocketAddress(ipAddress: "::1", port: 5000)))
        #expect(LoopbackOnlyMiddleware.admits(try SocketAddress(ipAddress: "::ffff:127.0.0.1", port: 5000)))
        #expect(LoopbackOnlyMiddleware.admits(nil))
        #expect(!LoopbackOnlyMiddleware.admits(try SocketAddress(ipAddress: "10.0.0.5", port: 5000)))
        #expect(!LoopbackOnlyMiddleware.admits(try SocketAddress(ipAddress: "192.168.1.20", port: 5000)))
        #expect(!LoopbackOnlyMiddleware.admits(try SocketAddress(ipAddress: "fe80::1", port: 5000)))
        #expect(!LoopbackOnlyMiddleware.admits(try SocketAddress(ipAddress: "::ffff:10.0.0.1", port: 5000)))
    }

    @Test(arguments: StoreKind.allCases) func statusFaultsHonourCountPathAndRetryAfter(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            try await server.admin("faults", ["kind": "status", "status": 503, "retry_after": 7, "count": 2,
                                              "path": "/v1/mutations"])
            try await server.admin("faults", ["kind": "status", "status": 429, "retry_after": 3])
            let pull = try await server.request(.get, "/v1/changes")
            #expect(pull.status == .tooManyRequests && pull.headers[.retryAfter] == "3")
            let push1 = try await server.push([mark("m-1", "article-0001", time: at(1))])
            let push2 = try await server.push([mark("m-1", "article-0001", time: at(1))])
            let push3 = try await server.push([mark("m-1", "article-0001", time: at(1))])
            #expect([push1.status, push2.status, push3.status] == [.serviceUnavailable, .serviceUnavailable, .ok])
            #expect(push1.headers[.retryAfter] == "7")
            #expect(try push1.json()["error"] is String)
            #expect(try await server.request(.get, "/v1/changes").status == .ok)
            #expect(try await server.request(.get, "/admin/state").status == .ok)
        }
    }

    @Test(arguments: StoreKind.allCases) func clearedFaultsNoLongerFire(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            try await server.admin("faults", ["kind": "status", "status": 500, "count": 3])
            try await server.admin("faults", ["clear": true])
            #expect(try await server.request(.get, "/v1/changes").status == .ok)
            try await server.admin("faults", ["kind": "malformed"])
            let cleared = try await server.request(.delete, "/admin/faults")
            #expect(cleared.status == .ok)
            #expect(try await server.request(.get, "/v1/changes").status == .ok)
        }
    }

    @Test(arguments: StoreKind.allCases) func resetGoesBackToTheSeedsAndExpiresTokens(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let (_, token) = try await server.pullAll()
            try await server.admin("articles", ["id": "extra", "content_text": "x"])
            _ = try await server.pushResults([mark("m-1", "article-0001", time: at(1))])
            try await server.admin("reset", [String: Any]())
            let state = try await server.admin("state")
            #expect((state["articles"] as? [[String: Any]])?.map { $0["id"] as? String } == sampleItems(5).map(\.id))
            #expect(state["mutations_applied"] as? Int == 0)
            #expect(state["sequence"] as? Int == 5)
            #expect(try await server.request(.get, "/v1/changes?token=\(token)").status == .gone)
            #expect(try await server.pushResults([mark("m-1", "article-0001", time: at(1))]).first?.status == .applied)
        }
    }

    @Test(arguments: StoreKind.allCases) func adminRejectsItemsWithoutABody(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let response = try await server.request(.post, "/admin/articles",
                                                    body: Data(#"{"id": "x", "title": "no body"}"#.utf8))
            #expect(response.status == .badRequest)
            #expect(try response.json()["error"] as? String == "item 'x' has neither content_html nor content_text")
        }
    }

    @Test func changeTokensRoundTripAsUnpaddedBase64URL() throws {
        let token = ChangeToken(epoch: 123_456_789, sequence: 1_000_000)
        #expect(!token.description.contains("=") && !token.description.contains("+") && !token.description.contains("/"))
        #expect(ChangeToken(token.description) == token)
        #expect(ChangeToken("MTox") == ChangeToken(epoch: 1, sequence: 1))
        #expect(ChangeToken("bm9wZQ") == nil)
        #expect(ChangeToken("MTox=") == nil)
    }

    @Test func seedFilesLoadInNameOrderAndAMalformedOneIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seeds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeFeed(sampleItems(2), to: folder.appendingPathComponent("b.json"))
        try writeFeed([FeedItem(id: "first", contentText: "x")], to: folder.appendingPathComponent("a.json"))
        try Data("not a feed".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        #expect(try SeedFeeds.load(directory: folder.path).map(\.id) == ["first", "article-0000", "article-0001"])

        try Data(#"{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{"id": 5}]}"#.utf8)
            .write(to: folder.appendingPathComponent("c.json"))
        let error = #expect(throws: SeedError.self) { try SeedFeeds.load(directory: folder.path) }
        #expect(error?.description.contains("c.json") == true)
        #expect(error?.description.contains("\n") == false)
    }

    @Test(arguments: [("Schema/server", ServerSchema.migrations), ("Schema/server/postgres", PostgresSchema.migrations)])
    func embeddedMigrationsMatchSchemaServer(path: String, migrations: [(name: String, sql: String)]) throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(path)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.range(of: #"^[0-9]{3}_.*\.sql$"#, options: .regularExpression) != nil }.sorted()
        #expect(!files.isEmpty)
        #expect(migrations.map(\.name) == files.map { String($0.dropLast(4)) })
        for (migration, file) in zip(migrations, files) {
            var sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            while sql.hasSuffix("\n") { sql.removeLast() }
            #expect(migration.sql == sql, "\(path)/\(file) differs from its generated Swift file: run Tools/embed-sql")
        }
    }
}

func writeFeed(_ items: [FeedItem], to url: URL) throws {
    try WireCoding.encoder().encode(FeedDocument(title: "Seeds", items: items)).write(to: url)
}
