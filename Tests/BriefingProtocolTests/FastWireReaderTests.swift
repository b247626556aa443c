import Foundation
import Testing
import BriefingModel
import BriefingProtocol

/// The fast feed reader is an accelerator only: wherever it answers, it must answer exactly what
/// `JSONDecoder` answers, and wherever `JSONDecoder` refuses a document, it must not answer at all.
struct FastWireReaderTests {
    @Test func seedFeedsReadExactlyAsJSONDecoderReadsThem() throws {
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../seeds").standardizedFileURL
        let files = try FileManager.default.contentsOfDirectory(atPath: seeds.path).filter { $0.hasSuffix(".json") }
        #expect(!files.isEmpty)
        for name in files {
            let data = try Data(contentsOf: seeds.appendingPathComponent(name))
            let fast = try #require(FastWireReader.document(from: data), "fast reader declined \(name)")
            expectSame(fast, try JSONDecoder().decode(FeedDocument.self, from: data))
        }
    }

    @Test func generatedPagesReadExactlyAsJSONDecoderReadsThem() throws {
        var random = SplitMix(seed: 2026)
        for round in 0..<200 {
            let document = randomPage(&random, items: round % 20)
            let data = try WireCoding.encoder().encode(document)
            let fast = try #require(FastWireReader.document(from: data), "fast reader declined round \(round)")
            expectSame(fast, try JSONDecoder().decode(FeedDocument.self, from: data))
        }
    }

    @Test func thePageLinkIsTheDecodedNextTokenAndHasMore() throws {
        var random = SplitMix(seed: 7)
        for round in 0..<100 {
            let document = randomPage(&random, items: round % 5)
            let data = try WireCoding.encoder().encode(document)
            let link = FastWireReader.pageLink(from: data)
            #expect(link?.nextToken == document.briefing?.nextToken)
            #expect(link?.hasMore == document.briefing?.hasMore)
        }
        let itemsFirst = #"{"items":[{"id":"a","content_text":"x"}],"_briefing":{"next_token":"t","has_more":true,"server_time":"2026-11-29T08:00:00.000Z","deleted":[],"states":[]},"title":"t","version":"v"}"#
        #expect(FastWireReader.pageLink(from: Data(itemsFirst.utf8))?.nextToken == "t")
        #expect(FastWireReader.pageLink(from: Data(#"{"items":[],"title":"t"}"#.utf8)) == nil)
        #expect(FastWireReader.pageLink(from: Data(#"{"_briefing":{"next_token":"t"}}"#.utf8)) == nil)
    }

    @Test func handWrittenDocumentsReadAsJSONDecoderReadsThemOrAreLeftToIt() throws {
        let page = { (item: String) in
            """
            {"version":"v","title":"t","items":[\(item)],"_briefing":{"next_token":"n","has_more":false,
             "server_time":"2026-11-29T08:00:00.000Z","deleted":[],"states":[]}}
            """
        }
        let documents = [
            page(#"{"id":"a","content_text":"x \ud83d\ude00 \u00e9 \/ \" \\ \b\f\n\r\t","_briefing":{"revision":3}}"#),
            page(#"{"id":"a","content_html":null,"title":null,"tags":null,"authors":null,"author":null,"extra":[1,-2.5e3,{"x":[true,false,null]}]}"#),
            page(#"{"id":"a","content_text":"x","author":{"name":"A","avatar":"b","other":0}}"#),
            page(#"{"id":"a","content_text":"x","_briefing":{"revision":1,"read":{"value":true,"changed_at":"2026-11-29T08:00:00.000Z","device":"d","rev":9}}}"#),
            // Refused by JSONDecoder: the fast reader must not accept them either.
            page(#"{"id":"a","content_text":"\ud83d"}"#),
            page(#"{"id":"a","content_text":"x","_briefing":{"revision":1.5}}"#),
            page(#"{"id":"a","content_text":"x","_briefing":{"revision":"1"}}"#),
            page(#"{"id":"a","content_text":"x","_briefing":{"revision":1,"read":{"value":1,"changed_at":"2026-11-29T08:00:00.000Z","device":"d","rev":9}}}"#),
            page(#"{"id":"a","content_text":"x","_briefing":{"revision":1,"read":{"value":true,"changed_at":"yesterday","device":"d","rev":9}}}"#),
            page(#"{"content_text":"x"}"#),
            page(#"{"id":"a","tags":[1]}"#),
            page(#"{"id":"a"} trailing"#),
            page(#"{"id":"a","content_text":"x",}"#),
            page(#"{"id":"a","content_text":"x","_briefing":{"revision":01}}"#),
            "{\"version\":\"v\",\"title\":\"t\",\"items\":[{\"id\":\"\u{01}\"}]}",
            #"{"version":"v","title":"t","items":[],"_briefing":{"next_token":"n"}}"#,
            #"{"version":"v","title":"t","items":[],"_briefing":{"next_token":"n","has_more":true,"server_time":"2026-11-29T08:00:00.000Z","deleted":["x"],"states":[{"id":"a","field":"seen","value":true,"changed_at":"2026-11-29T08:00:00.000Z","device":"d","rev":1}]}}"#,
            #"{"version":"v","title":"t","items":[],"_briefing":{"next_token":"n","has_more":true,"server_time":"2026-11-29T08:00:00.000Z","deleted":["x"],"states":[{"id":"a","field":"read","value":true,"changed_at":"2026-11-29T08:00:00.000Z","device":"d","rev":1}]}}"#,
        ]
        for text in documents {
            let data = Data(text.utf8)
            let slow = try? JSONDecoder().decode(FeedDocument.self, from: data)
            let fast = FastWireReader.document(from: data)
            if let slow {
                if let fast { expectSame(fast, slow) }
            } else {
                #expect(fast == nil, "fast reader accepted what JSONDecoder refuses: \(text)")
            }
        }
        #expect(FastWireReader.document(from: Data([0x7B, 0xFF, 0x7D])) == nil)
    }

    @Test func tagArraysReadAsJSONDecoderReadsThemOrAreLeftToIt() throws {
        let texts = [#"[]"#, #"["a","b c","\u00e9\"/"]"#, #" [ "x" ] "#, #"["😀","e\u0301"]"#,
                     #"[1]"#, #"["a",]"#, #"["a"] x"#, #"{"a":1}"#, #"["\ud83d"]"#, ""]
        for text in texts {
            let slow = try? JSONDecoder().decode([String].self, from: Data(text.utf8))
            let fast = FastWireReader.strings(in: text)
            if let slow {
                // Declining is always allowed (`JSONDecoder` then reads it, e.g. its tolerated trailing comma).
                if let fast { #expect(fast.map { Array($0.utf8) } == slow.map { Array($0.utf8) }, "\(text)") }
            } else {
                #expect(fast == nil, "fast reader accepted what JSONDecoder refuses: \(text)")
            }
        }
    }

    func expectSame(_ a: FeedDocument, _ b: FeedDocument, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.version == b.version, sourceLocation: sourceLocation)
        #expect(a.title == b.title, sourceLocation: sourceLocation)
        #expect(a.homePageURL == b.homePageURL, sourceLocation: sourceLocation)
        #expect(a.feedURL == b.feedURL, sourceLocation: sourceLocation)
        #expect(a.nextURL == b.nextURL, sourceLocation: sourceLocation)
        #expect(a.description == b.description, sourceLocation: sourceLocation)
        #expect(a.items == b.items, sourceLocation: sourceLocation)
        #expect(a.briefing == b.briefing, sourceLocation: sourceLocation)
        // String == is canonical equivalence; the store keeps bytes, so compare those too.
        let bytes = { (d: FeedDocument) in
            d.items.map { [$0.id, $0.title, $0.contentHTML, $0.contentText, $0.summary].map { $0.map { Array($0.utf8) } } }
        }
        #expect(bytes(a) == bytes(b), sourceLocation: sourceLocation)
    }

    func randomPage(_ random: inout SplitMix, items: Int) -> FeedDocument {
        func text(_ random: inout SplitMix) -> String {
            let pieces = ["plain", " ", "<p>", "&amp;", "\"", "\\", "/", "\n", "\t", "\u{01}", "\u{7F}", "é", "e\u{301}",
                          "漢字", "😀", "\u{202E}", "</p>", "'", "\u{0}", "\r\n"]
            return (0..<random.next(16)).map { _ in pieces[random.next(pieces.count)] }.joined()
        }
        func maybe(_ random: inout SplitMix) -> String? { random.next(3) == 0 ? nil : text(&random) }
        func state(_ random: inout SplitMix) -> StateRecord? {
            random.next(2) == 0 ? nil : StateRecord(
                value: random.next(2) == 0,
                changedAt: Timestamp(milliseconds: 1_700_000_000_000 + Int64(random.next(1 << 30))),
                device: text(&random), rev: Int64(random.next(1 << 40)))
        }
        let feedItems = (0..<items).map { i in
            FeedItem(id: "id-\(i)-" + text(&random), url: maybe(&random), externalURL: maybe(&random), title: maybe(&random),
                     contentHTML: maybe(&random), contentText: maybe(&random), summary: maybe(&random),
                     image: maybe(&random), bannerImage: maybe(&random), datePublished: maybe(&random),
                     dateModified: maybe(&random),
                     authors: random.next(3) == 0 ? nil : (0..<random.next(3)).map { _ in
                         Author(name: maybe(&random), url: maybe(&random), avatar: maybe(&random)) },
                     tags: random.next(3) == 0 ? nil : (0..<random.next(4)).map { _ in text(&random) },
                     language: maybe(&random),
                     briefing: random.next(4) == 0 ? nil : ItemInfo(revision: Int64(random.next(1 << 50)),
                                                                    read: state(&random), starred: state(&random)))
        }
        let states = (0..<random.next(4)).compactMap { _ in state(&random) }.map {
            StateChange(id: text(&random), field: random.next(2) == 0 ? .read : .starred, record: $0)
        }
        return FeedDocument(title: text(&random), homePageURL: maybe(&random), feedURL: maybe(&random),
                            nextURL: maybe(&random), description: maybe(&random), items: feedItems,
                            briefing: random.next(5) == 0 ? nil : PageInfo(
                                nextToken: text(&random), hasMore: random.next(2) == 0,
                                serverTime: Timestamp(milliseconds: Int64(random.next(1 << 40))),
                                deleted: (0..<random.next(3)).map { _ in text(&random) }, states: states))
    }
}

/// A small seeded generator, so every run tests the same documents.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(max(bound, 1)))
    }
}

/// Found by the hostile-input corpus after the fast reader landed: it recursed once per bracket.
struct FastWireReaderDepthTests {
    @Test(arguments: ["[", "{\"a\":"])
    func aDeeplyNestedDocumentIsHandedBackNotRecursedInto(_ opener: String) {
        let deep = "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"x\",\"items\":[],\"junk\":"
            + String(repeating: opener, count: 100_000)
        let data = Data(deep.utf8)
        #expect(FastWireReader.document(from: data) == nil)
        #expect(FastWireReader.pageLink(from: data) == nil)
        #expect(throws: MalformedData.self) { try PageDecoder.briefingPage(from: data) }
    }

    @Test func aTagsMemberOfTheWrongTypeIsMalformed() {
        let page = #"{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":"a","content_text":"b","tags":"news","_briefing":{"revision":1}}],"_briefing":{"next_token":"t","has_more":false,"server_time":"2026-11-29T00:00:00.000Z","deleted":[],"states":[]}}"#
        #expect(throws: MalformedData.self) { try PageDecoder.briefingPage(from: Data(page.utf8)) }
    }
}
