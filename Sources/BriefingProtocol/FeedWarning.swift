/// Something in a plain feed that was left out rather than failing the feed: a field dropped from an item
/// (`field` names it), a whole item skipped (`field` nil), or a `next_url` page that could not be read.
/// `reason` may quote feed content: it is untrusted text, made terminal-safe where it is printed.
public struct FeedWarning: Hashable, Sendable, CustomStringConvertible {
    /// The item's id, else `#N` (its 1-based position in the document); nil for the feed as a whole.
    public var item: String?
    public var field: String?
    public var reason: String

    public init(item: String?, field: String? = nil, reason: String) {
        self.item = item
        self.field = field
        self.reason = reason
    }

    /// Whether the warning cost a whole item (rather than one field of a kept item, or a backfill page).
    public var skipsItem: Bool { item != nil && field == nil }

    /// Whether a `SyncEvent.warning` text is one of these (the CLI prints those only with `--verbose`,
    /// and sums them up after the sync), told by the start `description` gives them.
    public static func describes(_ text: String) -> Bool {
        text.hasPrefix("item '") || text.hasPrefix("feed: ")
    }

    /// `item 'a7': date_published dropped: not a date: "yesterday"`, one line.
    public var description: String {
        var text = item.map { "item '\($0)'" } ?? "feed"
        if let field { text += ": \(field) dropped" } else if item != nil { text += " skipped" }
        return text + ": " + reason
    }
}
