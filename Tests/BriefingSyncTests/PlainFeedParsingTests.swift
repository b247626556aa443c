import Foundation
import Testing
@testable import BriefingSync
import BriefingModel
import BriefingProtocol
import BriefingStore

/// Real-world JSON Feed documents as a plain-feed store reads them: leniency where the spec or common
/// practice allows it, a clear one-line refusal where the document is not a usable JSON Feed.
struct PlainFeedParsingTests {
    let origin = URL(string: "https://news.example/feeds/main.json")!

    func page(_ json: String, from url: URL? = nil) throws -> PulledPage {
        let feed = try FeedFollower.document(from: Data(json.utf8))
        return try FeedFollower.page(from: feed, baseURL: url ?? origin)
    }

    func article(_ json: String) throws -> Article {
        try #require(try page(json).articles.first).article
    }

    /// The message of the malformed-data error `json` is refused with (exit 65).
    func refusal(_ json: String) -> String? {
        do {
            _ = try page(json)
            return nil
        } catch let error as SyncError {
            guard case .malformed(let message) = error else {
                Issue.record("expected malformed data, got \(error)")
                return nil
            }
            return message
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

    @Test func summaryWithoutContentIsRefusedNamingTheItem() throws {
        let message = try #require(refusal("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T",
             "items": [{"id": "ok", "content_text": "x"}, {"id": "only-summary", "summary": "Just a teaser"}]}
            """))
        #expect(message.contains("'only-summary'"))
        #expect(message.contains("content_html") && message.contains("summary"))
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

    @Test func duplicateIDsInOnePageKeepTheFirst() throws {
        let articles = try page("""
            {"version": "https://jsonfeed.org/version/1.1", "title": "T",
             "items": [{"id": "a", "content_text": "first"}, {"id": "a", "content_text": "second"}]}
            """).articles
        #expect(articles.map(\.bodyText) == ["first"])
    }
}
