import Foundation
import BriefingModel
import BriefingStore
import BriefingText
#if canImport(Glibc)
import Glibc
#endif

func summaryJSON(_ summary: ArticleSummary) -> JSON {
    .object(summaryMembers(summary))
}

private func summaryMembers(_ summary: ArticleSummary) -> [(String, JSON)] {
    [
        ("id", .string(summary.id)), ("title", .optional(summary.title)), ("url", .optional(summary.url)),
        ("date_published", .time(summary.datePublished)), ("read", .bool(summary.read)),
        ("starred", .bool(summary.starred)), ("tags", .array(summary.tags.map(JSON.string))),
        ("handle", .int(summary.handle)), ("archived", .bool(summary.archived)),
    ]
}

func articleJSON(_ stored: StoredArticle) -> JSON {
    let article = stored.article
    let authors = article.authors.map { author in
        JSON.object([("name", .optional(author.name)), ("url", .optional(author.url)), ("avatar", .optional(author.avatar))])
    }
    return .object(summaryMembers(stored.summary) + [
        ("summary", .optional(article.summary)), ("content_text", .optional(article.contentText)),
        ("content_html", .optional(article.contentHTML)), ("authors", .array(authors)),
        ("date_modified", .time(article.dateModified)), ("external_url", .optional(article.externalURL)),
        ("image", .optional(article.image)), ("revision", .int(article.revision)),
    ])
}

func conflictJSON(_ record: ConflictRecord) -> JSON {
    func side(_ side: ConflictRecord.Side) -> JSON {
        let value: JSON = side.value == "true" ? .bool(true) : side.value == "false" ? .bool(false) : .string(side.value)
        return .object([("value", value), ("changed_at", .time(side.changedAt)), ("device", .optional(side.device))])
    }
    return .object([
        ("article_id", .string(record.articleID)), ("field", .string(record.field)),
        ("local", side(record.local)), ("server", side(record.server)),
        ("winner", .string(record.winner.rawValue)), ("rule", .string(record.rule)),
        ("resolved_at", .string(record.resolvedAt.rfc3339)),
    ])
}

/// The wrap width and markers for this run: `$COLUMNS`, the terminal on stdout and the locale.
let terminalEnvironment = TerminalEnvironment(
    environment: ProcessInfo.processInfo.environment, terminalColumns: terminalColumns())

/// `list` and `search` lines: handle, unread dot, star, date, title — every piece terminal-safe.
func printSummaries(_ articles: [ArticleSummary], empty: String) {
    if articles.isEmpty {
        print(empty)
        return
    }
    let width = max(4, String(articles.map(\.handle).max() ?? 0).count)
    let markers = terminalEnvironment.markers
    var out = ""
    for article in articles {
        let handle = String(article.handle)
        out += String(repeating: " ", count: width - handle.count) + handle
        out += article.read ? "   " : " \(markers.unread) "
        out += article.starred ? "\(markers.starred) " : "  "
        out += (article.datePublished.map { String($0.rfc3339.prefix(10)) } ?? "          ") + "  "
        out += TerminalText.sanitize(article.title ?? article.url ?? article.id, singleLine: true)
        if article.archived { out += "  (archived)" }
        out += "\n"
    }
    print(out, terminator: "")
}

/// The article as a reader sees it: title, byline, body with numbered link references, wrapped to
/// `terminal.wrapWidth` with its markers.
func renderArticle(_ stored: StoredArticle, in terminal: TerminalEnvironment) -> String {
    let article = stored.article
    let width = terminal.wrapWidth
    let title = TerminalText.sanitize(article.title ?? article.id, singleLine: true)
    var lines = [title, String(repeating: "=", count: min(max(DisplayWidth.of(title), 3), width))]
    var byline: [String] = []
    if let date = article.datePublished { byline.append(String(date.rfc3339.prefix(16)).replacingOccurrences(of: "T", with: " ")) }
    let names = article.authors.compactMap(\.name)
    if !names.isEmpty { byline.append("by " + names.joined(separator: ", ")) }
    if !byline.isEmpty { lines.append(TerminalText.sanitize(byline.joined(separator: " \(terminal.markers.separator) "), singleLine: true)) }
    if let url = article.url { lines.append(TerminalText.sanitize(url, singleLine: true)) }
    if !article.tags.isEmpty { lines.append(TerminalText.sanitize("tags: " + article.tags.joined(separator: ", "), singleLine: true)) }
    lines.append("")
    if let html = article.contentHTML {
        lines.append(TerminalText.sanitize(HTMLText.render(html, width: width, markers: terminal.markers).text))
    } else if let text = article.contentText {
        lines.append(TerminalText.sanitize(text))
    } else if let summary = article.summary {
        lines.append(TerminalText.sanitize(summary))
    } else {
        // A plain feed's headline-only item: the link above is the story.
        lines.append(article.url == nil ? "(no text in the feed)" : "(no text in the feed: the story is at the link above)")
    }
    return lines.joined(separator: "\n") + "\n"
}

/// Columns of the terminal on stdout, at most 100 (longer lines are hard to read), or nil when stdout
/// is not a terminal or does not say.
func terminalColumns() -> Int? {
    guard stdoutIsTerminal else { return nil }
    var size = winsize()
    if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return min(Int(size.ws_col), 100) }
    return nil
}

/// Prints `text`, through $PAGER (default `less`) when stdout is a terminal. The text reaches the pager
/// on its stdin, never on a command line.
func page(_ text: String) {
    guard stdoutIsTerminal else {
        print(text, terminator: "")
        return
    }
    let environment = ProcessInfo.processInfo.environment
    let pager = environment["PAGER"].flatMap { $0.isEmpty ? nil : $0 } ?? "less"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", pager]
    var childEnvironment = environment
    if childEnvironment["LESS"] == nil { childEnvironment["LESS"] = "FRX" }
    process.environment = childEnvironment
    let input = Pipe()
    process.standardInput = input
    do {
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        if process.terminationStatus == 127 { print(text, terminator: "") }
    } catch {
        print(text, terminator: "")
    }
}
