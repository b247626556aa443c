import BriefingModel
import BriefingProtocol
import Foundation
import Testing
@testable import BriefingMockServer

/// `--generate N`: synthetic articles for load tests, served like seeds.
@Suite struct GeneratedArticlesTests {
    @Test func generatedArticlesAreTheSameOnEveryCallAndShapedLikeTheBenchmarkFeed() throws {
        #expect(GeneratedArticles.item(42) == GeneratedArticles.item(42))
        #expect(GeneratedArticles.item(42) != GeneratedArticles.item(43))
        let article = GeneratedArticles.item(9)
        #expect(article.id == "https://news.example/business/0000009" && article.url == article.id)
        #expect(article.datePublished == "2026-11-18T10:57:40.000Z")
        #expect(article.tags?.first == "business" && article.authors == [Author(name: "Reporter 9")])
        #expect(article.contentHTML!.hasPrefix("<h2>") && article.contentHTML!.contains("<a href="))
        let size = try WireCoding.encoder().encode(article).count
        #expect((1_200...1_800).contains(size))
        // The rare word marks every 211th article, for search benchmarks.
        #expect((0..<1_000).filter { GeneratedArticles.item($0).contentHTML!.contains(GeneratedArticles.rareWord) }
            == [0, 211, 422, 633, 844])
        #expect(GeneratedArticles.item(9, revision: 2).title!.hasSuffix("(update 2)"))
        #expect(GeneratedArticles.item(9_999_999).id == "https://news.example/transport/9999999")
    }

    @Test func generatedArticlesFollowTheSeedsInOnePullAndComeBackOnReset() async throws {
        try await InProcessServer.run(seeds: sampleItems(3), generated: 250, pageSize: 100) { server in
            let (pages, _) = try await server.pullAll()
            let ids = pages.flatMap { $0.items.map(\.id) }
            #expect(ids == sampleItems(3).map(\.id) + (0..<250).map { GeneratedArticles.item($0).id })
            #expect(pages.flatMap(\.items).allSatisfy { $0.briefing?.revision == 1 })
            var served = pages[0].items[3]
            served.briefing = nil
            #expect(served == GeneratedArticles.item(0))

            let results = try await server.pushResults([mark("m-1", GeneratedArticles.item(7).id, time: at(1))])
            #expect(results.map(\.status) == [.applied])
            #expect(try await server.admin("reset", [String: Any]())["articles"] as? Int == 253)
            let (again, _) = try await server.pullAll()
            #expect(again.flatMap(\.items).count == 253 && again.allSatisfy { $0.briefing!.states.isEmpty })
        }
    }
}
