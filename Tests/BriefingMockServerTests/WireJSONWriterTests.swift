import BriefingModel
import BriefingProtocol
import Foundation
import Testing
@testable import BriefingMockServer

/// The hand-written encoder of pull pages and push results writes exactly what `JSONEncoder` writes.
@Suite struct WireJSONWriterTests {
    /// Every ASCII character, quotes, backslashes, slashes, a bidi override, an emoji and a lone combining mark.
    static let awkward = String(decoding: (0..<128).map(UInt8.init), as: UTF8.self) + "\"\\/ é \u{202E} 🗞 \u{0301}"

    static let record = StateRecord(value: true, changedAt: Timestamp(milliseconds: 1_795_000_000_123),
                                    device: "phone \(awkward)", rev: 42)

    @Test func stringsAreEscapedExactlyAsJSONEncoderEscapesThem() throws {
        for text in ["", "plain", Self.awkward, "a\u{0}b\u{1F}c\u{7F}d"] + (0..<32).map { String(UnicodeScalar(UInt8($0))) } {
            var writer = WireJSONWriter()
            writer.string(text)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == String(decoding: try WireCoding.encoder().encode([text]), as: UTF8.self).dropFirst().dropLast())
        }
    }

    @Test func pullPageMatchesEncodingTheDecodedDocument() throws {
        let items = [
            FeedItem(id: "a/1 \(Self.awkward)", url: "https://example.org/a/1", title: Self.awkward,
                     contentHTML: "<p>\(Self.awkward)</p>", summary: "s", datePublished: "2026-11-28T08:00:00Z",
                     authors: [Author(name: "Ann \"A\" Author")], tags: ["x", "y/z"], language: "en"),
            FeedItem(id: "b", contentText: "only text"),
            FeedItem(id: "c", contentHTML: "<b>c</b>"),
            FeedItem(id: "d", contentHTML: "<b>d</b>"),
        ]
        let states: [(read: StateRecord?, starred: StateRecord?)] = [
            (Self.record, Self.record), (nil, nil), (Self.record, nil), (nil, Self.record),
        ]
        let info = PageInfo(nextToken: "tok+/=", hasMore: true, serverTime: Timestamp(milliseconds: 1_795_000_000_999),
                            deleted: ["gone \(Self.awkward)", "gone-2"],
                            states: [StateChange(id: "e\u{1}", field: .starred, record: Self.record),
                                     StateChange(id: "f", field: .read, record: Self.record)])
        let encoder = WireCoding.encoder()
        let stored = try zip(items, states).enumerated().map { index, pair in
            StoredItem(json: String(decoding: try encoder.encode(pair.0), as: UTF8.self), revision: Int64(index + 1),
                       read: pair.1.read, starred: pair.1.starred)
        }
        var expectedItems = items
        for index in expectedItems.indices {
            expectedItems[index].briefing = ItemInfo(revision: Int64(index + 1), read: states[index].read,
                                                     starred: states[index].starred)
        }
        let expected = try encoder.encode(FeedDocument(title: "Briefing", items: expectedItems, briefing: info))

        var writer = WireJSONWriter()
        writer.page(title: "Briefing", items: stored, info: info)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }

    @Test func emptyPullPageMatchesJSONEncoder() throws {
        let info = PageInfo(nextToken: "t", hasMore: false, serverTime: Timestamp(milliseconds: 0))
        var writer = WireJSONWriter()
        writer.page(title: "Briefing", items: [], info: info)
        let expected = try WireCoding.encoder().encode(FeedDocument(title: "Briefing", items: [], briefing: info))
        #expect(String(decoding: writer.bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }

    @Test func pushResultsMatchJSONEncoderForEveryStatus() throws {
        var results: [MutationResult] = []
        for status in [MutationStatus.applied, .duplicate, .conflict, .gone] {
            for rule in [nil] + ConflictRule.allCases.map(Optional.some) {
                for adjustment in [nil, Int64(-90_000), 120_000] {
                    results.append(MutationResult(mutationID: "m \(Self.awkward)", articleID: "a\u{7}", field: .read,
                                                  status: status, state: status == .gone ? nil : Self.record, rule: rule,
                                                  clockAdjustedMs: adjustment))
                }
            }
        }
        let serverTime = Timestamp(milliseconds: 1_795_000_000_500)
        var writer = WireJSONWriter()
        writer.pushResponse(serverTime: serverTime, results: results.map(FeedStore.encoded))
        let expected = try WireCoding.encoder().encode(PushResponse(serverTime: serverTime, results: results))
        #expect(String(decoding: writer.bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }
}
