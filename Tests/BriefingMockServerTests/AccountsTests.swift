import BriefingModel
import BriefingProtocol
import BriefingTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import BriefingMockServer

/// Accounts: each bearer token's reader state, mutations and idempotency records are its own; articles
/// are shared. Every in-process test runs on both stores.
@Suite struct AccountsTests {
    static let accounts = ["alice-phone": "alice", "alice-laptop": "alice", "bob-phone": "bob"]

    @Test(arguments: StoreKind.allCases) func twoAccountsNeverSeeEachOthersMarks(store: StoreKind) async throws {
        try await InProcessServer.run(store: store, accounts: Self.accounts) { server in
            let bobStart = try await server.pullAll(as: "bob-phone").lastToken
            let applied = try await server.pushResults([mark("m-1", "article-0001", time: at(1))], as: "alice-phone")
            #expect(applied.map(\.status) == [.applied])

            let aliceFull = try await server.pull(as: "alice-laptop")
            let bobFull = try await server.pull(as: "bob-phone")
            let bobSince = try await server.pull(token: bobStart, as: "bob-phone")
            #expect(aliceFull.items.first { $0.id == "article-0001" }?.briefing?.read?.value == true)
            #expect(bobFull.items.allSatisfy { $0.briefing?.read == nil && $0.briefing?.starred == nil })
            #expect(bobSince.items.isEmpty && bobSince.briefing!.states.isEmpty && !bobSince.briefing!.hasMore)
            #expect(try await server.admin("state?account=bob")["mutations_applied"] as? Int == 0)
            #expect(try await server.admin("state?account=alice")["mutations_applied"] as? Int == 1)
            let bobArticle = (try await server.admin("state?account=bob")["articles"] as? [[String: Any]])?
                .first { $0["id"] as? String == "article-0001" }
            #expect(bobArticle?["read"] is NSNull)
        }
    }

    @Test(arguments: StoreKind.allCases) func otherAccountsChangesAreSkippedWithinOnePagedPull(store: StoreKind) async throws {
        try await InProcessServer.run(store: store, accounts: Self.accounts) { server in
            let start = try await server.pullAll(as: "bob-phone").lastToken
            // Interleave: alice, bob, alice, bob … so bob's changes sit between numbers he must skip.
            for index in 0..<4 {
                _ = try await server.pushResults([mark("a-\(index)", "article-000\(index)", time: at(Int64(index)))],
                                                 as: "alice-phone")
                _ = try await server.pushResults([mark("b-\(index)", "article-000\(index)", .starred,
                                                       time: at(Int64(index)))], as: "bob-phone")
            }
            let (pages, _) = try await server.pullAll(from: start, limit: 1, as: "bob-phone")
            let states = pages.flatMap { $0.briefing!.states }
            #expect(states.map(\.id) == ["article-0000", "article-0001", "article-0002", "article-0003"])
            #expect(states.allSatisfy { $0.field == .starred && $0.record.device == "laptop" })
        }
    }

    @Test(arguments: StoreKind.allCases) func mutationIdsAndIdempotencyKeysArePerAccount(store: StoreKind) async throws {
        try await InProcessServer.run(store: store, accounts: Self.accounts) { server in
            let mutations = [mark("same-id", "article-0002", time: at(1))]
            let alice = try await server.push(mutations, key: "same-key", as: "alice-phone")
            let bob = try await server.push(mutations, key: "same-key", as: "bob-phone")
            let aliceAgain = try await server.push(mutations, key: "other-key", as: "alice-laptop")
            #expect(alice.status == .ok && bob.status == .ok)
            let results = try [alice, bob, aliceAgain].map {
                try WireCoding.decoder().decode(PushResponse.self, from: $0.data).results.map(\.status)
            }
            #expect(results == [[.applied], [.applied], [.duplicate]])
        }
    }

    @Test(arguments: StoreKind.allCases) func adminDeviceMarkNamesItsAccount(store: StoreKind) async throws {
        try await InProcessServer.run(store: store, accounts: Self.accounts) { server in
            let answer = try await server.admin("state", ["account": "bob", "id": "article-0003", "field": "starred",
                                                          "value": true, "changed_at": at(5).rfc3339, "device": "tablet"])
            #expect(answer["status"] as? String == "applied")
            let bob = try await server.pull(as: "bob-phone")
            let alice = try await server.pull(as: "alice-phone")
            #expect(bob.items.first { $0.id == "article-0003" }?.briefing?.starred?.value == true)
            #expect(alice.items.first { $0.id == "article-0003" }?.briefing?.starred == nil)
        }
    }

    @Test(arguments: StoreKind.allCases) func unknownTokenIs401AndTheSingleTokenIsTheDefaultAccount(store: StoreKind) async throws {
        try await InProcessServer.run(store: store, token: "solo", accounts: Self.accounts) { server in
            let unknown = try await server.request(.get, "/v1/changes", headers: [.authorization: "Bearer carol"])
            #expect(unknown.status == .unauthorized)
            _ = try await server.pushResults([mark("m-1", "article-0001", time: at(1))], as: "solo")
            #expect(try await server.admin("state")["mutations_applied"] as? Int == 1)
            #expect(try await server.admin("state?account=alice")["mutations_applied"] as? Int == 0)
        }
    }

    @Test func aStoreFromBeforeAccountsKeepsItsStateAsTheDefaultAccount() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("server.sqlite")
        let old = ServerSchema.migrations[0].sql + """

            CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
            INSERT INTO grdb_migrations VALUES ('001_initial');
            INSERT INTO server_state VALUES (1, 3, 77, 2, 1, 1);
            INSERT INTO article VALUES ('a', '{"id":"a","content_text":"x"}', 'A', 1, 1, 0, NULL);
            INSERT INTO field_state VALUES ('a', 'read', 1, 1795000000000, 'phone', 3);
            INSERT INTO seen_mutation VALUES ('m-1', 'applied', '{}');
            INSERT INTO idempotency_record VALUES ('k-1', x'7b7d', 200, x'7b7d');
            """
        let created = try run("/usr/bin/sqlite3", [path], stdin: Data(old.utf8))
        try #require(created.status == 0, "\(created.err)")

        let store = try FeedStore(path: path)
        let snapshot = try await store.snapshot()
        #expect(snapshot.articles.first?.read == FieldState(value: true, changedAt: Timestamp(milliseconds: 1_795_000_000_000), device: "phone"))
        #expect([snapshot.mutationsApplied, snapshot.mutationsDuplicate, snapshot.mutationsConflict, snapshot.sequence] == [2, 1, 1, 3])
        let replay = try await store.push(account: defaultAccount, key: "k-1", body: Data("{}".utf8),
                                          request: .failure(.undecodable("unused")), policy: .default, clock: PushClock(serverNow: at(0)))
        #expect(replay == StoredResponse(status: 200, body: Data("{}".utf8)))
        #expect(try await store.snapshot(account: "other").articles.first?.read == nil)
    }

    @Test func accountsFileMapsEachTokenToItsAccount() throws {
        let accounts = try AccountsFile.parse("""
            # devices
            alice   alice-phone
            alice\talice-laptop

            bob bob-phone
            """, path: "accounts")
        #expect(accounts == Self.accounts)
    }

    @Test(arguments: ["alice", "alice one two", "al ice!x tok", "alice tok\nbob tok", "# nothing"])
    func malformedAccountsFileIsRefusedNamingTheLine(text: String) {
        #expect(throws: AccountsFileError.self) { try AccountsFile.parse(text, path: "accounts") }
    }

    @Test func accountsFileOthersMayReadIsRefused() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("accounts")
        FileManager.default.createFile(atPath: path, contents: Data("alice tok\n".utf8),
                                       attributes: [.posixPermissions: 0o644])
        #expect(throws: AccountsFileError.self) { try AccountsFile.load(path: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try AccountsFile.load(path: path) == ["tok": "alice"])

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let refused = try run("briefing-mock-server", ["--accounts", path], timeout: 30)
        #expect(refused.status == 78)
        #expect(refused.err.hasPrefix("briefing-mock-server: error: accounts file") && refused.err.contains("chmod 600"))
    }
}

extension InProcessServer {
    func pull(token: String? = nil, limit: Int? = nil, as bearer: String) async throws -> FeedDocument {
        var query: [String] = []
        if let token { query.append("token=\(token)") }
        if let limit { query.append("limit=\(limit)") }
        let response = try await request(.get, "/v1/changes" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")),
                                          headers: [.authorization: "Bearer \(bearer)"])
        try #require(response.status == .ok, "pull → \(response.status): \(response.text)")
        return try WireCoding.decoder().decode(FeedDocument.self, from: response.data)
    }

    func pullAll(from token: String? = nil, limit: Int? = nil, as bearer: String) async throws
        -> (pages: [FeedDocument], lastToken: String) {
        var pages: [FeedDocument] = []
        var token = token
        repeat {
            let page = try await pull(token: token, limit: limit, as: bearer)
            pages.append(page)
            token = page.briefing!.nextToken
        } while pages.last!.briefing!.hasMore
        return (pages, token!)
    }

    func push(_ mutations: [Mutation], key: String = UUID().uuidString, as bearer: String) async throws -> TestResponse {
        try await request(.post, "/v1/mutations",
                          headers: [HTTPField.Name("Idempotency-Key")!: key, .authorization: "Bearer \(bearer)"],
                          body: try WireCoding.encoder().encode(PushRequest(mutations: mutations)))
    }

    func pushResults(_ mutations: [Mutation], as bearer: String) async throws -> [MutationResult] {
        let response = try await push(mutations, as: bearer)
        try #require(response.status == .ok, "push → \(response.status): \(response.text)")
        return try WireCoding.decoder().decode(PushResponse.self, from: response.data).results
    }
}
