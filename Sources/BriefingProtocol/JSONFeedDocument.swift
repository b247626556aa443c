import Foundation

/// What a plain feed URL or a local file serves, told apart before it is read as a JSON Feed, so a
/// document that is not one is refused by name ("looks like an RSS feed (XML)"). `PlainFeedHeaderReader`
/// sniffs with it and checks the rest; `PlainFeedItemReader` turns the items into store articles.
public enum JSONFeedDocument {
    /// Refuses a document whose first bytes (up to 512) show it is not a JSON object: empty, HTML, XML
    /// (RSS, Atom), a JSON array or value.
    public static func sniff(_ head: Data) throws(MalformedData) {
        var body = head
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = Data(body.dropFirst(3)) }  // a UTF-8 byte order mark
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let first = text.first else { throw MalformedData("not a JSON Feed: the document is empty") }
        if first == "<" {
            let lower = text.lowercased()
            let kind = lower.contains("<rss") || lower.contains("<rdf") ? "an RSS feed (XML)"
                : lower.contains("<feed") ? "an Atom feed (XML)"
                : lower.contains("<html") || lower.contains("<!doctype") ? "an HTML page" : "XML"
            throw MalformedData("not a JSON Feed: the document looks like \(kind)")
        }
        if first == "[" { throw MalformedData("not a JSON Feed: the document is a JSON array, not an object") }
        if first == "\"" || first == "-" || first.isNumber || ["true", "false", "null"].contains(where: text.hasPrefix) {
            throw MalformedData("not a JSON Feed: the document is a JSON value, not an object")
        }
        if first != "{" { throw MalformedData("not a JSON Feed: the document is not valid JSON") }
    }

    /// `https://jsonfeed.org/version/1` or `/1.1` (and `http://`, as some 1.0 feeds wrote it).
    public static func isJSONFeedVersion(_ version: String) -> Bool {
        let trimmed = version.trimmingCharacters(in: .whitespaces).lowercased()
        guard let rest = ["https://jsonfeed.org/version/", "http://jsonfeed.org/version/"]
            .first(where: trimmed.hasPrefix).map({ trimmed.dropFirst($0.count) }) else { return false }
        let number = rest.hasSuffix("/") ? rest.dropLast() : rest
        return number == "1" || number.hasPrefix("1.")
    }
}
