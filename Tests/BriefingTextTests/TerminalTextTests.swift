import Testing
@testable import BriefingText

@Suite("Terminal-safe text")
struct TerminalTextTests {
    @Test func osc8HyperlinkKeepsOnlyItsVisibleText() {
        #expect(TerminalText.sanitize("\u{1b}]8;;http://x\u{7}click\u{1b}]8;;\u{7}") == "click")
    }

    @Test func osc8HyperlinkTerminatedByStringTerminatorKeepsOnlyItsText() {
        #expect(TerminalText.sanitize("\u{1b}]8;;http://x\u{1b}\\click\u{1b}]8;;\u{1b}\\ here") == "click here")
    }

    @Test func clearScreenSequenceVanishesCompletely() {
        #expect(TerminalText.sanitize("\u{1b}[2J") == "")
        #expect(TerminalText.sanitize("Breaking\u{1b}[2J\u{1b}[H news") == "Breaking news")
    }

    @Test func colourAndCursorSequencesAreDroppedWhole() {
        #expect(TerminalText.sanitize("\u{1b}[1;31mRed\u{1b}[0m text\u{1b}[?25l") == "Red text")
    }

    @Test func windowTitleChangeIsDropped() {
        #expect(TerminalText.sanitize("a\u{1b}]0;pwned\u{7}b") == "ab")
    }

    @Test func deviceControlAndPrivacyStringsAreDropped() {
        #expect(TerminalText.sanitize("a\u{1b}Pq#0;2;0;0;0\u{1b}\\b") == "ab")
        #expect(TerminalText.sanitize("a\u{1b}_apc payload\u{1b}\\b\u{1b}^pm\u{7}c\u{1b}Xsos\u{1b}\\d") == "abcd")
    }

    @Test func twoByteAndCharsetEscapesAreDropped() {
        #expect(TerminalText.sanitize("a\u{1b}cb\u{1b}(Bc\u{1b}7d") == "abcd")
    }

    @Test func eightBitIntroducersStartSequencesThatAreDropped() {
        #expect(TerminalText.sanitize("a\u{9B}2Jb") == "ab")
        #expect(TerminalText.sanitize("a\u{9D}0;title\u{7}b") == "ab")
    }

    @Test func unterminatedStringIntroducerDropsOnlyTheIntroducer() {
        // Latin-1 mojibake of Turkish "ş" contains U+009F (APC); the rest of the text must survive.
        #expect(TerminalText.sanitize("Kars\u{C5}\u{9F}ı kazandı") == "Kars\u{C5}ı kazandı")
        #expect(TerminalText.sanitize("x\u{1b}]0;never ends") == "x0;never ends")
    }

    @Test func manyUnterminatedIntroducersAreHandledInOnePass() {
        // None of these OSC introducers is ever terminated. Rescanning to the end for each would be
        // quadratic (minutes); the single pass drops each introducer and keeps the text.
        let cleaned = TerminalText.sanitize(String(repeating: "\u{9D}x", count: 200_000))
        #expect(cleaned.utf8.count == 200_000)
        #expect(cleaned.utf8.allSatisfy { $0 == UInt8(ascii: "x") })
    }

    @Test func loneEscapeAtEndIsDropped() {
        #expect(TerminalText.sanitize("end\u{1b}") == "end")
    }

    @Test func escapeFollowedByNonAsciiKeepsTheText() {
        #expect(TerminalText.sanitize("a\u{1b}é") == "aé")
    }

    @Test func bidiOverridesIsolatesAndMarksAreRemoved() {
        #expect(TerminalText.sanitize("a\u{202E}b") == "ab")
        let all = "\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\u{2066}\u{2067}\u{2068}\u{2069}\u{200E}\u{200F}\u{061C}"
        #expect(TerminalText.sanitize("x\(all)y") == "xy")
    }

    @Test func c1ControlsAndDeleteAreRemoved() {
        #expect(TerminalText.sanitize("a\u{80}b\u{85}c\u{9C}d\u{7F}e") == "abcde")
    }

    @Test func c0ControlsExceptNewlineAndTabAreRemoved() {
        #expect(TerminalText.sanitize("a\u{0}b\u{7}c\u{8}d\re\u{C}f") == "abcdef")
    }

    @Test func multiLineModeKeepsNewlinesAndTabs() {
        #expect(TerminalText.sanitize("line one\n\tline two") == "line one\n\tline two")
    }

    @Test func singleLineModeFlattensNewlinesAndTabsIntoSpaces() {
        #expect(TerminalText.sanitize("line one\n\tline two\u{2028}three", singleLine: true) == "line one  line two three")
    }

    @Test func ordinaryUnicodeIsUntouched() {
        let text = "Carney’s “reset” — Québec, 北京, emoji 🇨🇦, Zürich, עברית"
        #expect(TerminalText.sanitize(text) == text)
        #expect(TerminalText.isSafe(text))
    }

    @Test func isSafeAgreesWithSanitize() {
        #expect(!TerminalText.isSafe("\u{1b}[2J"))
        #expect(!TerminalText.isSafe("a\u{202E}b"))
        #expect(!TerminalText.isSafe("a\u{9B}b"))
        #expect(!TerminalText.isSafe("a\u{61C}b"))
        #expect(TerminalText.isSafe("two\nlines"))
        #expect(!TerminalText.isSafe("two\nlines", singleLine: true))
    }
}
