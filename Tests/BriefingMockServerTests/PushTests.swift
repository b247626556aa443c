import BriefingMockServer
import BriefingModel
import BriefingProtocol
import BriefingTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Pushes through the real router, in process.
@Suite struct PushTests {
    @Test(arguments: StoreKind.allCases) func sameMutationTwiceIsAppliedThenDuplicateAndAppliedOnce(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let mutation = mark("m-1", "article-0001", time: at(1))
            let first = try await server.pushResults([mutation])
            let second = try await server.pushResults([mutation])
            #expect(first.map(\.status) == [.applied])
            #expect(second.map(\.status) == [.duplicate])
            #expect(second.first?.state == first.first?.state)
            let state = try await server.admin("state")
            #expect(state["mutations_applied"] as? Int == 1)
            #expect(state["mutations_duplicate"] as? Int == 1)
            let article = (state["articles"] as? [[String: Any]])?.first { $0["id"] as? String == "article-0001" }
            #expect((article?["read"] as? [String: Any])?["value"] as? Bool == true)
        }
    }

    @Test(arguments: StoreKind.allCases) func appliedMutationIsPulledAsAStateChangeWithItsRev(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let (_, token) = try await server.pullAll()
            let result = try #require(try await server.pushResults([mark("m-1", "article-0002", .starred, time: at(1))]).first)
            let page = try await server.pull(token: token)
            #expect(page.briefing!.states == [StateChange(id: "article-0002", field: .starred, record: try #require(result.state))])
        }
    }

    @Test(arguments: StoreKind.allCases) func sameIdempotencyKeyAndBodyReplaysTheStoredResponse(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let mutations = [mark("m-1", "article-0001", time: at(1)), mark("m-2", "article-0002", .starred, time: at(2))]
            let first = try await server.push(mutations, key: "push-1")
            let again = try await server.push(mutations, key: "push-1")
            #expect(first.status == .ok && again.status == .ok)
            #expect(again.data == first.data)
            let results = try WireCoding.decoder().decode(PushResponse.self, from: again.data).results
            #expect(results.map(\.status) == [.applied, .applied])
            let state = try await server.admin("state")
            #expect(state["mutations_applied"] as? Int == 2)
            #expect(state["mutations_duplicate"] as? Int == 0)
        }
    }

    @Test(arguments: StoreKind.allCases) func sameIdempotencyKeyWithAnotherBodyIs422(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            _ = try await server.pushResults([mark("m-1", "article-0001", time: at(1))], key: "push-1")
            let response = try await server.push([mark("m-2", "article-0001", time: at(2))], key: "push-1")
            #expect(response.status == .unprocessableContent)
            #expect(try response.json()["error"] is String)
        }
    }

    @Test(arguments: StoreKind.allCases) func staleBaseRevThatLosesByTheRulesIsAConflictWithTheServerValue(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            try await server.admin("state", ["id": "article-0001", "field": "read", "value": true,
                                             "changed_at": at(20).rfc3339, "device": "phone"])
            let result = try #require(try await server.pushResults(
                [mark("m-1", "article-0001", .read, false, time: at(10), baseRev: 0)]).first)
            #expect(result.status == .conflict)
            #expect(result.rule == .lastWriterWins)
            #expect(result.state?.value == true && result.state?.device == "phone" && result.state?.changedAt == at(20))
            #expect(try await server.admin("state")["mutations_conflict"] as? Int == 1)
        }
    }

    @Test(arguments: StoreKind.allCases) func staleBaseRevThatWinsByTheRulesIsApplied(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            try await server.admin("state", ["id": "article-0001", "field": "read", "value": true,
                                             "changed_at": at(20).rfc3339, "device": "phone"])
            let result = try #require(try await server.pushResults(
                [mark("m-1", "article-0001", .read, false, time: at(30), baseRev: 0)]).first)
            #expect(result.status == .applied)
            #expect(result.state?.value == false && result.state?.device == "laptop")
        }
    }

    @Test(arguments: StoreKind.allCases) func theRuleAMutationCarriesIsTheRuleItIsJudgedBy(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            try await server.admin("state", ["id": "article-0001", "field": "read", "value": true,
                                             "changed_at": at(20).rfc3339, "device": "phone"])
            let older = mark("m-1", "article-0001", .read, false, time: at(10), baseRev: 0, rule: .clientWins)
            let result = try #require(try await server.pushResults([older]).first)
            #expect(result.status == .applied && result.rule == .clientWins)
        }
    }

    @Test(arguments: StoreKind.allCases) func serverPolicyJudgesMutationsWithoutARule(store: StoreKind) async throws {
        try await InProcessServer.run(store: store, policy: ConflictPolicy([.read: .readWins])) { server in
            try await server.admin("state", ["id": "article-0001", "field": "read", "value": true,
                                             "changed_at": at(10).rfc3339, "device": "phone"])
            let unread = mark("m-1", "article-0001", .read, false, time: at(30), baseRev: 0)
            let result = try #require(try await server.pushResults([unread]).first)
            #expect(result.status == .conflict && result.rule == .readWins && result.state?.value == true)
        }
    }

    @Test(arguments: StoreKind.allCases) func mutationOfADeletedOrUnknownArticleIsGone(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            try await server.admin("delete", ["ids": ["article-0001"]])
            let results = try await server.pushResults([mark("m-1", "article-0001", time: at(1)),
                                                        mark("m-2", "no-such-article", time: at(1))])
            #expect(results.map(\.status) == [.gone, .gone])
            #expect(results.allSatisfy { $0.state == nil })
        }
    }

    @Test(arguments: StoreKind.allCases) func pushWithoutIdempotencyKeyIs400(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let body = try WireCoding.encoder().encode(PushRequest(mutations: [mark("m-1", "article-0001", time: at(1))]))
            let response = try await server.request(.post, "/v1/mutations", body: body)
            #expect(response.status == .badRequest)
            #expect(try response.json()["error"] as? String == "missing Idempotency-Key header")
        }
    }

    @Test(arguments: StoreKind.allCases) func undecodablePushIs400AndStoresNothing(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let response = try await server.request(.post, "/v1/mutations", headers: [HTTPField.Name("Idempotency-Key")!: "k"],
                                                    body: Data(#"{"mutations": [{"mutation_id": 1}]}"#.utf8))
            #expect(response.status == .badRequest)
            let retry = try await server.push([mark("m-1", "article-0001", time: at(1))], key: "k")
            #expect(retry.status == .ok)
        }
    }

    @Test(arguments: StoreKind.allCases) func pushOfMoreThanAThousandMutationsIs413(store: StoreKind) async throws {
        try await InProcessServer.run(store: store) { server in
            let mutations = (0...1000).map { mark("m-\($0)", "article-0001", time: at(Int64($0))) }
            let response = try await server.push(mutations)
            #expect(response.status == .contentTooLarge)
            #expect(try await server.admin("state")["mutations_applied"] as? Int == 0)
        }
    }

    @Test(arguments: StoreKind.allCases) func deviceMarkWithAStaleBaseRevIsJudgedByTheServerPolicy(store: StoreKind) async throws {
        try await InProcessServer.run(store: store, policy: ConflictPolicy([.starred: .serverWins])) { server in
            let first = try await server.admin("state", ["id": "article-0001", "field": "starred", "value": true,
                                                         "changed_at": at(10).rfc3339, "device": "phone"])
            #expect(first["status"] as? String == "applied")
            let stale = try await server.admin("state", ["id": "article-0001", "field": "starred", "value": false,
                                                         "changed_at": at(20).rfc3339, "device": "tablet",
                                                         "base_rev": 0])
            #expect(stale["status"] as? String == "conflict")
            #expect((stale["state"] as? [String: Any])?["device"] as? String == "phone")
            let gone = try await server.admin("state", ["id": "nothing", "field": "read", "value": true,
                                                        "changed_at": at(1).rfc3339, "device": "phone"])
            #expect(gone["status"] as? String == "gone")
        }
    }
}
