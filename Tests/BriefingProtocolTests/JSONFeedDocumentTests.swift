import Foundation
import Testing
import BriefingModel
import BriefingProtocol

/// Real-world JSON Feed documents as a plain-feed store reads them: leniency by the smallest unit (a field
/// dropped, an item skipped, each with a warning), a clear one-line refusal only where the document is not a
/// JSON Feed at all.
struct JSONFeedDocumentTests {
    let origin = URL(string: "https://news.example/feeds/main.json")!

    func document(_ json: String, from url: URL? = nil) throws -> PlainFeedDocument {
        try PlainFeedDocument(Data(json.utf8), fetchedFrom: url ?? origin)
    }

    func page(_ json: String, from url: URL? = nil) throws -> PulledPage {
        try document(json, from: url).page
    }

    func article(_ json: String) throws -> Article {
        try #require(try page(json).articles.first).article
    }

    /// The message of the malformed-data error `json` is refused with (exit 65 in the CLI).
    func refusal(_ json: String) -> String? {
        do {
            _ = try page(json)
            return nil
        } catch let error as MalformedData {
            return error.message
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func version1FeedWithSingleAuthorReads() throws {
        let a = try article("""
            {"version": "https://jsonfeed.org/version/1", "title": "Old",
             "items": [{"id": "a", "content_html": "<p>Hi</p>", "author": {"name": "Ann", "url": "https://ann.example"}}]}
            """)
        #expect(a.authors == [Author(name: "Ann", url: "https://ann.example", avatar: nil)])
    }

    @Test func version1_1FeedWithAuthorsReads() throws {
        let a = try article("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "New",
             "items": [{"id": "a", "content_text": "x", "authors": [{"name": "Ann"}, {"name": "Bo"}]}]}
            """)
        #expect(a.authors.map(\.name) == ["Ann", "Bo"])
    }

    @Test func httpVersionURLAndMissingTitleAreAccepted() throws {
        let articles = try page("""
            {"version": "http://jsonfeed.org/version/1", "items": [{"id": "a", "content_text": "x"}]}
            """).articles
        #expect(articles.count == 1)
    }

    @Test func numericIDInVersion1FeedIsItsStringForm() throws {
        let ids = try page("""
            {"version": "https://jsonfeed.org/version/1", "title": "T",
             "items": [{"id": 42, "content_text": "x"}, {"id": 7.0, "content_text": "y"}, {"id": 1.5, "content_text": "z"}]}
            """).articles.map(\.article.id)
        #expect(ids == ["42", "7", "1.5"])
    }

    @Test(arguments: [
        ("2026-11-29T08:15:30Z", "2026-11-29T08:15:30.000Z"),
        ("2026-11-29T08:15Z", "2026-11-29T08:15:00.000Z"),
        ("2026-11-29T08:15:30.123456Z", "2026-11-29T08:15:30.123Z"),
        ("2026-11-29T08:15:30.5+01:00", "2026-11-29T07:15:30.500Z"),
        ("2026-11-29T08:15:30", "2026-11-29T08:15:30.000Z"),
        ("2026-11-29T08:15", "2026-11-29T08:15:00.000Z"),
        ("2026-11-29 08:15:30-05:00", "2026-11-29T13:15:30.000Z"),
    ])
    func datesWithAndWithoutSecondsFractionsOrZoneRead(text: String, utc: String) throws {
        let a = try article("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T",
             "items": [{"id": "a", "content_text": "x", "date_published": "\(text)", "date_modified": "\(text)"}]}
            """)
        #expect(a.datePublished?.rfc3339 == utc)
        #expect(a.dateModified?.rfc3339 == utc)
        #expect(a.revision == Timestamp(rfc3339: utc)?.milliseconds)
    }

    @Test func zoneLessDateIsUTC() throws {
        #expect(Timestamp(rfc3339: "2026-11-29T08:15:30") == Timestamp(rfc3339: "2026-11-29T08:15:30Z"))
    }

    @Test func revisionFollowsDateModifiedElseDatePublished() throws {
        let articles = try page("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [
              {"id": "m", "content_text": "x", "date_published": "2026-01-01T00:00:00Z", "date_modified": "2026-02-01T00:00:00Z"},
              {"id": "p", "content_text": "x", "date_published": "2026-01-01T00:00:00Z"},
              {"id": "n", "content_text": "x"}]}
            """).articles.map(\.article)
        #expect(articles.map(\.revision) == [Timestamp(rfc3339: "2026-02-01T00:00:00Z")!.milliseconds,
                                             Timestamp(rfc3339: "2026-01-01T00:00:00Z")!.milliseconds, 0])
    }

    @Test func unknownExtensionsAreIgnored() throws {
        let a = try article("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T", "_podcast": {"explicit": true},
             "hubs": [{"type": "WebSub", "url": "https://hub.example"}],
             "items": [{"id": "a", "content_text": "x", "_geo": {"coordinates": [1, 2]}, "attachments": [{"url": "a.mp3"}]}]}
            """)
        #expect(a.id == "a")
    }

    @Test func contentTextAloneIsTheBody() throws {
        let pulled = try #require(try page("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "a", "content_text": "Plain body."}]}
            """).articles.first)
        #expect(pulled.article.contentHTML == nil)
        #expect(pulled.bodyText == "Plain body.")
    }

    @Test func summaryWithoutContentIsKeptWithTheSummaryAsItsText() throws {
        let read = try document("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T",
             "items": [{"id": "ok", "content_text": "x"}, {"id": "only-summary", "summary": "Just a teaser"}]}
            """)
        let teaser = try #require(read.page.articles.last)
        #expect(teaser.article.id == "only-summary" && teaser.bodyText == "Just a teaser")
        #expect(teaser.article.summary == "Just a teaser" && teaser.article.contentText == nil)
        #expect(read.warnings.isEmpty)
    }

    @Test func anItemWithNoContentAtAllIsKeptAsItsHeadline() throws {
        let pulled = try #require(try page("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T",
             "items": [{"id": "h", "title": "Council votes on budget", "url": "https://news.example/h"}]}
            """).articles.first)
        #expect(pulled.article.title == "Council votes on budget" && pulled.article.url == "https://news.example/h")
        #expect(pulled.article.contentHTML == nil && pulled.article.contentText == nil && pulled.bodyText.isEmpty)
    }

    @Test func anItemWithoutIDIsKnownByItsURLElseExternalURLElseAContentHash() throws {
        let json = """
            {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [
              {"url": "/posts/1", "content_text": "one"},
              {"external_url": "https://elsewhere.example/2", "content_text": "two"},
              {"title": "Three", "content_text": "three"},
              {"id": null, "title": "Four", "content_text": "four"}]}
            """
        let read = try document(json)
        let ids = read.page.articles.map(\.article.id)
        #expect(ids[0] == "https://news.example/posts/1")
        #expect(ids[1] == "https://elsewhere.example/2")
        #expect(ids[2].hasPrefix("hash:") && ids[2].count == 37 && ids[3].hasPrefix("hash:") && ids[2] != ids[3])
        #expect(try document(json).page.articles.map(\.article.id) == ids, "the same document gives the same ids")
        #expect(read.warnings.isEmpty)
    }

    @Test func theContentHashIgnoresTheModifiedDateAndFollowsTheText() throws {
        let item = FeedItem(id: "", title: "T", contentText: "body", dateModified: "2026-01-01T00:00:00Z")
        var later = item
        later.dateModified = "2026-02-01T00:00:00Z"
        var edited = item
        edited.contentText = "body, corrected"
        #expect(PageDecoder.contentID(of: item) == PageDecoder.contentID(of: later))
        #expect(PageDecoder.contentID(of: item) != PageDecoder.contentID(of: edited))
        // Pinned: a different hash on a new version would make every such item new again, and unread.
        #expect(PageDecoder.contentID(of: item) == "hash:ec041251038e05df131caf27daf99300")
    }

    @Test func tagsGivenAsOneStringAreSplitOnCommas() throws {
        let read = try document("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T",
             "items": [{"id": "a", "content_text": "x", "tags": "politics, budget ,,council"}]}
            """)
        #expect(read.page.articles.first?.article.tags == ["politics", "budget", "council"])
        #expect(read.warnings.isEmpty)
    }

    @Test func fieldsOfTheWrongTypeAreDroppedWithAWarningAndTheItemKept() throws {
        let read = try document("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T",
             "items": [{"id": "a", "content_text": "x", "title": 12, "tags": {"a": 1}, "url": ["u"],
                        "authors": "Ann", "date_published": true}]}
            """)
        let article = try #require(read.page.articles.first).article
        #expect(article.id == "a" && article.title == nil && article.tags.isEmpty && article.url == nil)
        #expect(Set(read.warnings.compactMap(\.field)) == ["title", "tags", "url", "authors", "date_published"])
        #expect(read.warnings.allSatisfy { $0.item == "a" && !$0.skipsItem })
        #expect(read.warnings.first { $0.field == "title" }?.reason == "not a string (a number)")
        #expect(read.warnings.first { $0.field == "date_published" }?.reason == "not a string (a boolean)")
    }

    @Test func anUnreadableDateIsDroppedWithAWarningAndTheItemKept() throws {
        let read = try document("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T",
             "items": [{"id": "a", "content_text": "x", "date_published": "last Tuesday", "date_modified": "2026-13-01"}]}
            """)
        let article = try #require(read.page.articles.first).article
        #expect(article.datePublished == nil && article.dateModified == nil && article.revision == 0)
        #expect(read.warnings.map(\.field) == ["date_published", "date_modified"])
        #expect(read.warnings[0].description == #"item 'a': date_published dropped: not a date: "last Tuesday""#)
    }

    @Test(arguments: [
        ("2022-07-26 13:01:01", "2022-07-26T13:01:01.000Z"),
        ("2022-07-26T13:01:01+0100", "2022-07-26T12:01:01.000Z"),
        ("Tue, 26 Jul 2022 13:01:01 +0100", "2022-07-26T12:01:01.000Z"),
        ("Tue, 26 Jul 2022 13:01:01 GMT", "2022-07-26T13:01:01.000Z"),
        ("26 Jul 2022 13:01 EDT", "2022-07-26T17:01:00.000Z"),
        ("Tuesday, 26 July 22 13:01:01 -05:30", "2022-07-26T18:31:01.000Z"),
        (" 2022-07-26T13:01:01Z ", "2022-07-26T13:01:01.000Z"),
    ])
    func datesInTheFormsRealFeedsUseRead(text: String, utc: String) throws {
        #expect(Timestamp(feedDate: text)?.rfc3339 == utc)
    }

    @Test(arguments: ["yesterday", "2022-07-26T25:00Z", "Foo, 26 Jul 2022 13:01:01 GMT", "26 Jul 2022", "32 Jul 2022 10:00 GMT", ""])
    func textThatIsNoDateIsRefused(text: String) {
        #expect(Timestamp(feedDate: text) == nil)
    }

    @Test func anItemThatIsNotAnObjectOrNotJSONIsSkippedAndTheRestKept() throws {
        let read = try document("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T",
             "items": [{"id": "a", "content_text": "x"}, "a string", 42, {"id": "b", "content_text": tru}, {"id": "c", "content_text": "z"}]}
            """)
        #expect(read.page.articles.map(\.article.id) == ["a", "c"])
        #expect(read.warnings.map(\.item) == ["#2", "#3", "#4"])
        #expect(read.warnings.allSatisfy { $0.skipsItem })
        #expect(read.warnings.map(\.reason) == ["not a JSON object", "not a JSON object", "not valid JSON"])
        #expect(read.header.itemCount == 5)
    }

    @Test func anItemBeyondTheSizeLimitIsSkippedUnread() throws {
        let huge = String(repeating: "x", count: PageDecoder.maxItemBytes)
        let read = try document(#"{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "big", "content_text": "\#(huge)"}, {"id": "small", "content_text": "y"}]}"#)
        #expect(read.page.articles.map(\.article.id) == ["small"])
        #expect(read.warnings.count == 1 && read.warnings[0].item == "#1" && read.warnings[0].skipsItem)
    }

    @Test func aFieldBeyondItsSizeLimitIsDroppedAndTheItemKept() throws {
        let long = String(repeating: "t", count: PageDecoder.maxTitleLength + 1)
        let read = try document(#"{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "a", "title": "\#(long)", "content_text": "y"}]}"#)
        #expect(read.page.articles.first?.article.title == nil)
        #expect(read.warnings.map(\.field) == ["title"])
    }

    @Test func readingInTinyChunksGivesWhatReadingWholeGives() throws {
        let json = """
            \u{FEFF}{"version": "https://jsonfeed.org/version/1.1", "title": "T \\" ] } ",
             "items": [{"id": "a", "content_text": "a \\\\ b \\" [ {", "tags": ["x"]}, 7, {"id": "b", "summary": "s", "n": [1, {"k": null}]}],
             "home_page_url": "https://home.example/", "extra": [true, false, null, -1.5e3]}
            """
        let whole = try document(json)
        let data = Data(json.utf8)
        for size in [1, 2, 3, 7, 64] {
            var header = PlainFeedHeaderReader()
            for start in stride(from: 0, to: data.count, by: size) { try header.consume(data.subdata(in: start..<min(data.count, start + size))) }
            let read = try header.finish()
            #expect(read == whole.header)
            var items = PlainFeedItemReader(header: read, fetchedFrom: origin)
            var articles: [PulledArticle] = []
            var warnings: [FeedWarning] = []
            for start in stride(from: 0, to: data.count, by: size) {
                let (a, w) = try items.consume(data.subdata(in: start..<min(data.count, start + size)))
                articles += a
                warnings += w
            }
            try items.finish()
            #expect(articles == whole.page.articles && warnings == whole.warnings)
        }
        #expect(whole.page.articles.map(\.article.id) == ["a", "b"] && whole.header.homePageURL == "https://home.example/")
        #expect(whole.page.articles.first?.bodyText == #"a \ b " [ {"#)
    }

    @Test func aDocumentThatEndsEarlyIsRefusedBeforeAnyItemIsRead() throws {
        let message = refusal(#"{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "a", "content_text": "x"}, {"id": "b""#)
        #expect(message?.contains("ends early") == true)
        #expect(refusal(#"{"version": "https://jsonfeed.org/version/1.1", "items": {"id": "a"}}"#)?.contains("'items' array") == true)
        #expect(refusal(#"{"version": "https://jsonfeed.org/version/1.1", "title": "no items"}"#)?.contains("'items' array") == true)
        #expect(refusal(#"{"version": "https://jsonfeed.org/version/1.1", "items": []} trailing"#)?.contains("not valid JSON") == true)
    }

    @Test func relativeURLsResolveAgainstHomePageURL() throws {
        let a = try article("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T", "home_page_url": "https://site.example/blog/",
             "feed_url": "https://cdn.example/feed.json",
             "items": [{"id": "a", "content_text": "x", "url": "posts/1.html", "external_url": "/about", "image": "img/1.png"}]}
            """)
        #expect(a.url == "https://site.example/blog/posts/1.html")
        #expect(a.externalURL == "https://site.example/about")
        #expect(a.image == "https://site.example/blog/img/1.png")
    }

    @Test func relativeURLsResolveAgainstFeedURLWithoutHomePage() throws {
        let a = try article("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T", "feed_url": "https://cdn.example/f/feed.json",
             "items": [{"id": "a", "content_text": "x", "url": "posts/1.html"}]}
            """)
        #expect(a.url == "https://cdn.example/f/posts/1.html")
    }

    @Test func relativeURLsResolveAgainstTheDocumentWithoutEither() throws {
        let a = try article("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "a", "content_text": "x", "url": "1.html"}]}
            """)
        #expect(a.url == "https://news.example/feeds/1.html")
    }

    @Test func absoluteURLsStayAsTheyAre() throws {
        let a = try article("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T", "home_page_url": "https://site.example/",
             "items": [{"id": "a", "content_text": "x", "url": "https://other.example/x?y=1"}]}
            """)
        #expect(a.url == "https://other.example/x?y=1")
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let json = "\u{FEFF}" + #"{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "a", "content_text": "x"}]}"#
        #expect(try page(json).articles.count == 1)
    }

    @Test func rssConvertedToJSONIsNamed() throws {
        let message = try #require(refusal(#"{"rss": {"channel": {"title": "T", "item": [{"title": "a"}]}}}"#))
        #expect(message.contains("not a JSON Feed") && message.contains("RSS converted to JSON"))
        let rss2json = try #require(refusal("""
            {"status": "ok", "feed": {"url": "https://x.example/rss"}, "items": [{"title": "a", "guid": "1", "pubDate": "2026-01-01 00:00:00"}]}
            """))
        #expect(rss2json.contains("RSS converted to JSON"))
    }

    @Test func htmlPageIsNamed() throws {
        let message = try #require(refusal("<!DOCTYPE html>\n<html><head><title>Blog</title></head></html>"))
        #expect(message.contains("not a JSON Feed") && message.contains("HTML page"))
    }

    @Test func xmlRSSFeedIsNamed() throws {
        let message = try #require(refusal("""
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0"><channel><title>T</title></channel></rss>
            """))
        #expect(message.contains("not a JSON Feed") && message.contains("RSS feed (XML)"))
    }

    @Test func atomFeedIsNamed() throws {
        let message = try #require(refusal(#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>"#))
        #expect(message.contains("Atom feed"))
    }

    @Test func otherJSONIsRefused() throws {
        #expect(refusal("[1, 2]")?.contains("JSON array") == true)
        #expect(refusal(#"{"title": "no version", "items": []}"#)?.contains("'version'") == true)
        #expect(refusal(#"{"version": "https://jsonfeed.org/version/2", "items": []}"#)?.contains("not a JSON Feed") == true)
        #expect(refusal("{not json")?.contains("not valid JSON") == true)
    }

    @Test func anEmptyItemsArrayIsAFeedWithNothingNew() throws {
        let read = try document(#"{"version": "https://jsonfeed.org/version/1.1", "title": "Quiet", "items": []}"#)
        #expect(read.page.articles.isEmpty && read.warnings.isEmpty && read.header.title == "Quiet")
    }

    @Test func duplicateIDsInOnePageKeepTheFirstWithAWarning() throws {
        let read = try document("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T",
             "items": [{"id": "a", "content_text": "first"}, {"id": "a", "content_text": "second"}]}
            """)
        #expect(read.page.articles.map(\.bodyText) == ["first"])
        #expect(read.warnings.count == 1 && read.warnings[0].item == "a" && read.warnings[0].skipsItem)
    }
}
