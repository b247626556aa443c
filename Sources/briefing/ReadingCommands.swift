import ArgumentParser
import Foundation
import BriefingModel
import BriefingStore
import BriefingText

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List articles, newest first (unread by default).",
        discussion: "Each line starts with the article's handle, a short local number that show and mark accept in place of the id.")

    @OptionGroup var options: StoreOptions
    @Flag(exclusivity: .exclusive, help: "Which articles: --unread (default), --starred or --all.")
    var filter: ListFilter = .unread
    @Option(help: "Only articles with this tag.") var tag: String?
    @Option(help: "At most this many articles.") var limit: Int?

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }

    func run() async throws {
        try await guarded {
            let (store, _) = try options.openInitialised()
            let articles = try store.list(filter, tag: tag, limit: limit)
            if options.json {
                options.emit(.array(articles.map(summaryJSON)))
            } else {
                printSummaries(articles, empty: "no \(filter == .all ? "" : filter.rawValue + " ")articles")
            }
        }
    }
}

extension ListFilter: EnumerableFlag {}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show an article as readable text, and mark it read.",
        discussion: """
            HTML is rendered to text with links listed as numbered references, wrapped at $COLUMNS, else \
            the terminal's width, else 80. On a terminal the text goes through $PAGER (default: less). On a \
            read-only store the article is shown, left unread, and a warning says so on stderr (exit 0).
            """)

    @OptionGroup var options: StoreOptions
    @Argument(help: "The article's id or handle.") var id: String
    @Flag(help: "Do not mark the article read.") var noMark = false

    func run() async throws {
        try await guarded {
            let (store, _) = try options.openInitialised()
            var stored = try store.article(id)
            if !noMark && !stored.summary.read {
                do {
                    try store.mark(.read, [stored.summary.id], wallClock: deviceClock())
                    stored.summary.read = true
                } catch StoreError.readOnly(let path) {
                    // Reading a backup or a read-only mount is what the user came for; the mark is not.
                    printWarning("not marked read: \(StoreError.readOnly(path: path))")
                }
            }
            if options.json {
                options.emit(articleJSON(stored))
            } else {
                page(renderArticle(stored, in: terminalEnvironment))
            }
        }
    }
}

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search titles, summaries and bodies; best match first.",
        discussion: """
            QUERY is an SQLite FTS5 query: words (all must match), "a phrase", prefix*, OR, NOT, and \
            title:word to search one column. A malformed query exits 64.
            """)

    @OptionGroup var options: StoreOptions
    @Argument(help: "The search query.") var query: String
    @Option(help: "At most this many results.") var limit: Int?

    func run() async throws {
        try await guarded {
            let (store, _) = try options.openInitialised()
            let articles = try store.search(query, limit: limit)
            if options.json {
                options.emit(.array(articles.map(summaryJSON)))
            } else {
                printSummaries(articles, empty: "no matches")
            }
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show counts, pending marks, the server and the last sync.",
        discussion: """
            The clock line (clock_offset_ms with --json: this device's clock minus the server's, as the last \
            sync measured it, null before one) warns when this device's clock is further from the server's \
            than the server's maximum clock offset; its marks are then stamped with the server's time.
            """)

    @OptionGroup var options: StoreOptions

    func run() async throws {
        try await guarded {
            let (store, settings) = try options.openInitialised()
            let status = try store.status()
            let clockNote = settings.clockOffset.map { offset in
                settings.clockBound.warning(offset: offset)
                    ?? "within \(settings.clockBound.milliseconds / 1000) s of the server's"
            } ?? "not measured yet"
            let marksNote = status.serverKind == .feed ? "local only (a plain feed has no server state)" : "synced"
            if options.json {
                options.emit(.object([
                    ("articles", .int(status.articles)), ("unread", .int(status.unread)),
                    ("starred", .int(status.starred)), ("pending", .int(status.pending)),
                    ("conflicts", .int(status.conflicts)), ("last_sync", .time(status.lastSync)),
                    ("server", .optional(status.server)), ("device", .optional(status.device)),
                    ("archived", .int(status.archived)), ("server_kind", .optional(status.serverKind?.rawValue)),
                    ("marks", .string(marksNote)),
                    ("clock_offset_ms", settings.clockOffset.map { JSON.int($0) } ?? .null),
                ]))
            } else {
                let lines = [
                    ("articles", "\(status.articles) (\(status.unread) unread, \(status.starred) starred, \(status.archived) archived)"),
                    ("pending", "\(status.pending) marks to push"),
                    ("conflicts", "\(status.conflicts) logged"),
                    ("last sync", status.lastSync?.rfc3339 ?? "never"),
                    ("server", (status.server ?? "none") + (status.serverKind.map { " (\($0.rawValue))" } ?? "")),
                    ("device", status.device ?? "-"),
                    ("marks", marksNote),
                    ("clock", clockNote),
                ]
                for (name, value) in lines {
                    print(name.padding(toLength: 10, withPad: " ", startingAt: 0) + TerminalText.sanitize(value, singleLine: true))
                }
            }
        }
    }
}

struct Conflicts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "Show the conflict log: both sides, the winner and the rule, newest first.",
        discussion: "--clear empties the log; 'briefing prune --conflicts-older-than DAYS' removes old entries only.")

    @OptionGroup var options: StoreOptions
    @Option(help: "At most this many entries.") var limit: Int?
    @Flag(help: "Empty the conflict log.") var clear = false

    func validate() throws {
        if clear && limit != nil { throw ValidationError("--clear takes no --limit") }
    }

    func run() async throws {
        try await guarded {
            let (store, _) = try options.openInitialised()
            if clear {
                let removed = try store.clearConflicts()
                if options.json {
                    options.emit(.object([("cleared", .int(removed))]))
                } else {
                    print("cleared \(removed) conflict log entr\(removed == 1 ? "y" : "ies")")
                }
                return
            }
            let records = try store.conflicts(limit: limit)
            if options.json {
                options.emit(.array(records.map(conflictJSON)))
            } else if records.isEmpty {
                print("no conflicts")
            } else {
                for record in records {
                    let line = "\(record.resolvedAt.rfc3339)  \(record.articleID)  \(record.field): local \(describe(record.local))"
                        + " vs server \(describe(record.server)) → \(record.winner.rawValue) wins (\(record.rule))"
                    print(TerminalText.sanitize(line, singleLine: true))
                }
            }
        }
    }

    private func describe(_ side: ConflictRecord.Side) -> String {
        var text = side.value
        if let time = side.changedAt { text += " at \(time.rfc3339)" }
        if let device = side.device { text += " by \(device)" }
        return text
    }
}

struct Prune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove read, unstarred articles older than DAYS. Unread and starred ones are never removed.",
        discussion: """
            --conflicts-older-than DAYS removes conflict log entries resolved more than DAYS days ago; \
            given alone it prunes only the log, with --older-than both.
            """)

    @OptionGroup var options: StoreOptions
    @Option(help: "Age of articles in days (default 30).") var olderThan: Int?
    @Option(help: ArgumentHelp("Remove conflict log entries older than this many days.", valueName: "days"))
    var conflictsOlderThan: Int?
    @Flag(help: "Reclaim the freed space afterwards.") var vacuum = false

    func validate() throws {
        if let olderThan, olderThan < 0 { throw ValidationError("--older-than must be 0 or more") }
        if let conflictsOlderThan, conflictsOlderThan < 0 { throw ValidationError("--conflicts-older-than must be 0 or more") }
    }

    func run() async throws {
        try await guarded {
            let (store, _) = try options.openInitialised()
            let articleDays = olderThan ?? (conflictsOlderThan == nil ? 30 : nil)
            let removed = try articleDays.map { days in try store.prune(olderThanDays: days) }
            let conflicts = try conflictsOlderThan.map { days in try store.pruneConflicts(olderThanDays: days) }
            if vacuum { try store.vacuum() }
            if options.json {
                var members: [(String, JSON)] = []
                if let removed { members.append(("pruned", .int(removed))) }
                if let conflicts { members.append(("conflicts_pruned", .int(conflicts))) }
                options.emit(.object(members + [("vacuumed", .bool(vacuum))]))
            } else {
                var parts: [String] = []
                if let removed { parts.append("pruned \(removed) article\(removed == 1 ? "" : "s")") }
                if let conflicts { parts.append("\(conflicts) conflict log entr\(conflicts == 1 ? "y" : "ies")") }
                print(parts.joined(separator: ", "))
            }
        }
    }
}
