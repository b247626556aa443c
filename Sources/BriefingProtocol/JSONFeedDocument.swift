import Foundation

/// A plain JSON Feed document as a feed URL or a local file serves it: sniffed for what it is before it is
/// decoded, so a document that is not a JSON Feed is refused by name ("looks like an RSS feed (XML)").
/// `PageDecoder.plainFeedPage` then turns the decoded document into a store page.
public enum JSONFeedDocument {
    /// Decodes a JSON Feed 1.0 or 1.1 document; anything else is named for what it looked like.
    public static func decode(_ data: Data) throws(MalformedData) -> FeedDocument {
        var body = data
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = Data(body.dropFirst(3)) }  // a UTF-8 byte order mark
        let head = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if head.isEmpty { throw MalformedData("not a JSON Feed: the document is empty") }
        if head.hasPrefix("<") {
            let lower = head.lowercased()
            let kind = lower.contains("<rss") || lower.contains("<rdf") ? "an RSS feed (XML)"
                : lower.contains("<feed") ? "an Atom feed (XML)"
                : lower.contains("<html") || lower.contains("<!doctype") ? "an HTML page" : "XML"
            throw MalformedData("not a JSON Feed: the document looks like \(kind)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            throw MalformedData("not a JSON Feed: the document is not valid JSON")
        }
        guard let object = json as? [String: Any] else {
            throw MalformedData("not a JSON Feed: the document is a JSON \(json is [Any] ? "array" : "value"), not an object")
        }
        guard let version = object["version"] as? String, isJSONFeedVersion(version) else {
            throw MalformedData("not a JSON Feed: no https://jsonfeed.org/version/1 or /1.1 'version' member"
                + (looksLikeRSS(object) ? " (it looks like RSS converted to JSON)" : ""))
        }
        return try PageDecoder.feed(from: body)
    }

    /// `https://jsonfeed.org/version/1` or `/1.1` (and `http://`, as some 1.0 feeds wrote it).
    public static func isJSONFeedVersion(_ version: String) -> Bool {
        let trimmed = version.trimmingCharacters(in: .whitespaces).lowercased()
        guard let rest = ["https://jsonfeed.org/version/", "http://jsonfeed.org/version/"]
            .first(where: trimmed.hasPrefix).map({ trimmed.dropFirst($0.count) }) else { return false }
        let number = rest.hasSuffix("/") ? rest.dropLast() : rest
        return number == "1" || number.hasPrefix("1.")
    }

    /// RSS turned into JSON by a converter: `{"rss": {"channel": …}}`, `{"channel": …}`, or rss2json's
    /// `{"status": "ok", "feed": {…}, "items": [{"guid", "pubDate", …}]}`.
    static func looksLikeRSS(_ object: [String: Any]) -> Bool {
        if object["rss"] != nil || object["channel"] != nil { return true }
        let items = object["items"] as? [[String: Any]] ?? []
        return object["feed"] is [String: Any]
            || items.contains { $0["guid"] != nil || $0["pubDate"] != nil || $0["link"] != nil }
    }
}
