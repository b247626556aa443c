import Foundation
import Testing
@testable import BriefingText

/// Feeds random bytes and random tag soup to both text functions. Each run uses a few fixed seeds
/// plus a fresh one; a failure names its seed, and `BRIEFING_FUZZ_SEED=<seed>` replays exactly it.
@Suite("Random input")
struct RandomInputTests {
    static let seeds: [UInt64] = {
        if let pinned = ProcessInfo.processInfo.environment["BRIEFING_FUZZ_SEED"].flatMap(UInt64.init) {
            return [pinned]
        }
        return [1, 0x5EED, 0xB21E_F1A6, UInt64.random(in: 0...UInt64.max)]
    }()

    @Test(arguments: seeds)
    func randomBytesNeverCrashAndSanitizedTextIsAlwaysSafe(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for _ in 0..<400 {
            let input = String(decoding: random.bytes(count: random.next(below: 300)), as: UTF8.self)
            checkAll(input, seed: seed)
        }
    }

    @Test(arguments: seeds)
    func randomTagSoupNeverCrashesAndRendersNoControls(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for _ in 0..<400 {
            var input = ""
            for _ in 0..<random.next(below: 80) {
                input += Self.fragments[random.next(below: Self.fragments.count)]
            }
            checkAll(input, seed: seed)
        }
    }

    private func checkAll(_ input: String, seed: UInt64) {
        let multiLine = TerminalText.sanitize(input)
        #expect(firstForbidden(multiLine, allowingNewlines: true) == nil, "seed \(seed), input \(input.debugDescription)")
        #expect(TerminalText.isSafe(multiLine), "seed \(seed), input \(input.debugDescription)")
        #expect(TerminalText.sanitize(multiLine) == multiLine, "seed \(seed): sanitizing twice changed the text")

        let singleLine = TerminalText.sanitize(input, singleLine: true)
        #expect(firstForbidden(singleLine, allowingNewlines: false) == nil, "seed \(seed), input \(input.debugDescription)")

        let rendered = HTMLText.render(input, width: 40)
        #expect(!rendered.text.unicodeScalars.contains { isControl($0, allowingNewlines: true) },
                "seed \(seed): render emitted a control character for \(input.debugDescription)")
        #expect(firstForbidden(TerminalText.sanitize(rendered.text), allowingNewlines: true) == nil, "seed \(seed)")

        let words = HTMLText.plainText(input)
        #expect(!words.unicodeScalars.contains { isControl($0, allowingNewlines: false) },
                "seed \(seed): plainText emitted a control character for \(input.debugDescription)")
    }

    private func isControl(_ scalar: Unicode.Scalar, allowingNewlines: Bool) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: return !allowingNewlines
        case 0x00..<0x20, 0x7F...0x9F: return true
        default: return false
        }
    }

    private func firstForbidden(_ text: String, allowingNewlines: Bool) -> Unicode.Scalar? {
        text.unicodeScalars.first { scalar in
            switch scalar.value {
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true
            default: return isControl(scalar, allowingNewlines: allowingNewlines)
            }
        }
    }

    static let fragments: [String] = [
        "<p>", "</p>", "<div>", "</div>", "<ul>", "</ul>", "<ol start=\"", "<ol>", "</ol>", "<li>", "</li>",
        "<blockquote>", "</blockquote>", "<pre>", "</pre>", "<h1>", "</h1>", "<h2>", "</h3>", "<br>", "<br/>",
        "<a href=\"", "<a href='javascript:", "\">", "'>", "</a>", "<img alt=\"", "<img src=x>", "<script>",
        "</script>", "<style>", "</style", "<head>", "</head>", "<svg>", "</svg>", "<!--", "-->", "<!", "<?",
        "<![CDATA[", "]]>", "<table><tr><td>", "</td><td>", "<hr>", "<title>", "</title>",
        "&amp;", "&lt;", "&nbsp;", "&hellip;", "&#", "&#x", "&#0;", "&#27;", "&#x9b;", "&#x202E;", "&#1114112;",
        "&", ";", "<", ">", "/", "=", "\"", "'", " ", "  ", "\n", "\r\n", "\t", "word", "Québec", "北京", "🇨🇦",
        "\u{1b}", "\u{1b}[", "\u{1b}]8;;", "\u{7}", "\u{1b}\\", "2J", "31m", "\u{9B}", "\u{9D}", "\u{9C}",
        "\u{85}", "\u{202E}", "\u{2066}", "\u{200F}", "\u{7F}", "\u{0}", "\u{C}", "\r",
    ]
}

/// A small, fast, seedable generator (SplitMix64) so a failing input can be reproduced from its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// Mostly bytes that mean something to a terminal or an HTML tokenizer, so short inputs hit them.
    mutating func bytes(count: Int) -> [UInt8] {
        let interesting: [UInt8] = [0x1B, 0x5B, 0x5D, 0x07, 0x5C, 0x3C, 0x3E, 0x26, 0x23, 0x3B, 0x2F, 0x0A, 0x09,
                                    0xC2, 0x9B, 0x9D, 0x85, 0xE2, 0x80, 0xAE, 0x81, 0xA6, 0xD8, 0x9C, 0x50, 0x5F]
        return (0..<count).map { _ in
            next(below: 2) == 0 ? interesting[next(below: interesting.count)] : UInt8(truncatingIfNeeded: next())
        }
    }
}
