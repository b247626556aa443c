import BriefingModel
import BriefingProtocol
import GRDB

/// Synthetic news articles for load tests (`--generate N`): article `i` is made from its index alone, so a
/// server with a million articles needs no seed file and starts in seconds, and every run serves the same
/// bytes.
///
/// Each is about 1.5 KB of JSON with an HTML body of a heading and five paragraphs (a link, an entity,
/// emphasis), a summary, two tags and an author — the shape `Tools/bench-articles.py` writes, with the same
/// ids (`https://news.example/SECTION/0000042`), dates (newest first, a minute apart) and the rare word
/// `quasar` in every 211th article, so the benchmark can edit and search them alike.
public enum GeneratedArticles {
    /// The word in every 211th article: a search for it returns a few hundred hits per 100,000 articles.
    public static let rareWord = "quasar"

    static let words = """
        trade tariff market energy climate transit rail budget council harbour grain canola steel \
        aluminium wind solar grid battery election minister parliament court ruling health clinic vaccine school \
        teacher union strike wage housing rent mortgage bank rate inflation export import port shipping freight \
        river flood drought wildfire forest salmon fishery mine copper nickel lithium refinery pipeline carbon \
        emission satellite launch research university museum festival theatre novel film league match season \
        coach striker goal record drought harvest farmer price supply demand contract tender bridge highway
        """.split(separator: " ").map(String.init)
    static let sections = ["world", "business", "climate", "science", "health", "sport", "culture", "transport"]

    /// Article `index` (0-based) at a content revision; a later revision changes title and body.
    public static func item(_ index: Int, revision: Int = 1) -> FeedItem {
        var random = SplitMix64(seed: UInt64(index) &* 7919 &+ UInt64(revision))
        var paragraphs: [String] = []
        for p in 0..<5 {
            let first = random.next(in: 9...14)
            var text = sentence(&random, words: first)
            let second = random.next(in: 9...14)
            text += " " + sentence(&random, words: second)
            if p == 1 {
                text += " <a href=\"https://news.example/ref/\(index)-\(p)\">Read <em>more</em></a> &amp; compare."
            }
            if p == 2 && index % 211 == 0 { text += " The \(rareWord) report follows." }
            paragraphs.append("<p>\(text)</p>")
        }
        let body = "<h2>" + sentence(&random, words: 6) + "</h2>\n" + paragraphs.joined(separator: "\n")
        let section = sections[index % sections.count]
        var title = String(sentence(&random, words: 7).dropLast())
        if revision > 1 { title += " (update \(revision))" }
        let number = String(index)
        let id = "https://news.example/\(section)/" + String(repeating: "0", count: max(0, 7 - number.count)) + number
        let published = Timestamp(milliseconds: (1_795_000_000 - 60 * Int64(index)) * 1000)
        return FeedItem(id: id, url: id, title: title, contentHTML: body, summary: sentence(&random, words: 18),
                        datePublished: published.rfc3339, authors: [Author(name: "Reporter \(index % 97)")],
                        tags: [section, words[random.next(in: 0...(words.count - 1))]], language: "en")
    }

    private static func sentence(_ random: inout SplitMix64, words count: Int) -> String {
        var chosen = (0..<count).map { _ in words[random.next(in: 0...(words.count - 1))] }
        chosen[0] = chosen[0].prefix(1).uppercased() + chosen[0].dropFirst()
        return chosen.joined(separator: " ") + "."
    }
}

extension FeedStore {
    /// Publishes generated articles `0..<count`; see `publishGenerated(_:count:)`.
    public func publishGenerated(count: Int) async throws {
        try await writer.write { db in try Self.publishGenerated(db, count: count) }
    }

    /// Publishes generated articles `0..<count` at revision 1 in one transaction, with one prepared insert:
    /// a million take seconds where `publish` (one lookup and sequence update per item) would take minutes.
    /// Only for a store without articles: the ids are new, so the sequence simply advances by `count`.
    static func publishGenerated(_ db: Database, count: Int) throws {
        guard count > 0 else { return }
        let encoder = WireCoding.encoder()
        let first = try counters(db).sequence
        let insert = try db.makeStatement(sql: """
            INSERT INTO article (id, item_json, title, revision, content_seq, deleted, deleted_seq)
            VALUES (?, ?, ?, 1, ?, 0, NULL)
            """)
        for index in 0..<count {
            let item = GeneratedArticles.item(index)
            try insert.execute(arguments: [item.id, String(decoding: try encoder.encode(item), as: UTF8.self),
                                           item.title, first + Int64(index) + 1])
        }
        try db.execute(sql: "UPDATE server_state SET sequence = ? WHERE id = 1", arguments: [first + Int64(count)])
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same articles on every platform.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `range` (the slight modulo bias does not matter for test data).
    mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}
