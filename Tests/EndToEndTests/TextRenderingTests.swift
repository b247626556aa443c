import Foundation
import Testing
import BriefingTestSupport

/// `briefing show` and `list` through the real binary: the wrap width from $COLUMNS, wide and combining
/// text counted by the columns a terminal gives it, ASCII markers when the locale is not UTF-8.
struct TextRenderingTests {
    static let chinese = "加拿大总理卡尼与中国领导人在北京会谈，双方同意降低油菜籽关税并恢复部长级对话。"
    static let accented = "Cafe\u{301} cre\u{300}me bru\u{302}le\u{301}e, pa\u{302}te\u{301} a\u{300} la fac\u{327}on de Que\u{301}bec"

    /// Columns by a rule of its own for the only characters these articles hold: CJK ideographs and
    /// CJK punctuation take two, combining accents none, ASCII and the bullet one.
    static func columns(_ line: Substring) throws -> Int {
        try line.unicodeScalars.reduce(0) { total, scalar in
            switch scalar.value {
            case 0x20..<0x7F, 0x2022: return total + 1
            case 0x300...0x36F: return total
            case 0x3000...0x303F, 0x4E00...0x9FFF, 0xFF00...0xFF60: return total + 2
            default: throw TestError("unexpected character U+\(String(scalar.value, radix: 16)) in \(line)")
            }
        }
    }

    private func store(_ environment: [String: String]) throws -> CLIStore {
        let store = try CLIStore()
        // Only the variables given here decide: an empty one counts as unset.
        for name in ["COLUMNS", "LC_ALL", "LC_CTYPE", "LANG"] { store.environment[name] = environment[name] ?? "" }
        return store
    }

    @Test func showWrapsChineseAndCombiningTextWithinColumnsCountedAsATerminalDoes() throws {
        let store = try store(["COLUMNS": "30", "LANG": "C.UTF-8"])
        let html = "<p>\(Self.chinese)</p><p>\(Self.accented)</p><ul><li>\(Self.chinese)</li></ul>"
        try store.importFeed(feed([item("cjk", title: "Beijing talks", html: html)]))
        let shown = try store.briefing("show", "cjk", "--no-mark")
        #expect(shown.status == 0, "\(shown.err)")
        let lines = shown.out.split(separator: "\n")
        let widths = try lines.map(Self.columns)
        #expect(widths.allSatisfy { $0 <= 30 }, "\(zip(widths, lines).filter { $0.0 > 30 })")
        #expect(widths.filter { $0 >= 26 }.count >= 4, "lines are filled, not cut short: \(lines)")
        // The paragraph, then the list item indented under its bullet: every character kept, in order.
        let chineseLines = lines.filter { $0.unicodeScalars.contains { $0.value >= 0x4E00 } }
        #expect(chineseLines.filter { !$0.hasPrefix(" ") }.joined() == Self.chinese)
        #expect(chineseLines.filter { $0.hasPrefix(" ") }.map { $0.dropFirst(4) }.joined() == Self.chinese)
        #expect(chineseLines.count >= 6)
        // 28 columns but 35 code points: counting code points would have broken this line earlier.
        let accentedLines = lines.filter { $0.unicodeScalars.contains { (0x300...0x36F).contains($0.value) } }
        #expect(accentedLines == ["Cafe\u{301} cre\u{300}me bru\u{302}le\u{301}e, pa\u{302}te\u{301} a\u{300} la",
                                  "fac\u{327}on de Que\u{301}bec"])
    }

    @Test func columnsSetsTheWrapWidthAndAnInvalidOneFallsBackTo80() throws {
        let words = (1...60).map { "word\($0)" }.joined(separator: " ")
        for (columns, limit) in [("40", 40), ("120", 120), ("abc", 80), ("0", 80)] {
            let store = try store(["COLUMNS": columns, "LANG": "C.UTF-8"])
            try store.importFeed(feed([item("w", title: "Words", html: "<p>\(words)</p>")]))
            let shown = try store.briefing("show", "w", "--no-mark")
            #expect(shown.status == 0, "\(shown.err)")
            let body = shown.out.split(separator: "\n").filter { $0.hasPrefix("word") }
            #expect(body.joined(separator: " ") == words)
            #expect(body.allSatisfy { $0.count <= limit }, "COLUMNS=\(columns): \(body)")
            #expect(body.dropLast().allSatisfy { $0.count > limit - 8 }, "COLUMNS=\(columns): \(body)")
        }
    }

    @Test func aCLocaleGetsPlainASCIIMarkersInShowAndList() throws {
        let html = "<p>Items:</p><ul><li>canola</li><li>pork</li></ul>"
        var article = item("m", title: "Markers", html: html)
        article["authors"] = [["name": "Ann Lee"]]
        var outputs: [String: (show: String, list: String)] = [:]
        for locale in ["C", "POSIX", "C.UTF-8"] {
            let store = try store(["LANG": locale])
            try store.importFeed(feed([article]))
            #expect(try store.briefing("mark", "star", "m").status == 0)
            let list = try store.briefing("list")
            let shown = try store.briefing("show", "m", "--no-mark")
            #expect(list.status == 0 && shown.status == 0, "\(list.err) \(shown.err)")
            outputs[locale] = (shown.out, list.out)
        }
        for locale in ["C", "POSIX"] {
            let (show, list) = try #require(outputs[locale])
            #expect(show.unicodeScalars.allSatisfy { $0.isASCII }, "LANG=\(locale): \(show)")
            #expect(list.unicodeScalars.allSatisfy { $0.isASCII }, "LANG=\(locale): \(list)")
            #expect(show.contains("\n  * canola\n  * pork"))
            #expect(show.contains(" - by Ann Lee"))
            #expect(list.contains(" * ! 2026-11-01  Markers"))
        }
        let (show, list) = try #require(outputs["C.UTF-8"])
        #expect(show.contains("\n  • canola\n  • pork"))
        #expect(show.contains(" · by Ann Lee"))
        #expect(list.contains(" • ★ 2026-11-01  Markers"))
    }
}
