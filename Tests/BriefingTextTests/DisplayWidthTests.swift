import Foundation
import Testing
@testable import BriefingText

@Suite("Display width and wrapping of wide and combining text")
struct DisplayWidthTests {
    @Test func wideAndFullwidthCharactersAndEmojiTakeTwoColumns() {
        #expect(DisplayWidth.of("漢字") == 4)
        #expect(DisplayWidth.of("カナ") == 4)
        #expect(DisplayWidth.of("한국") == 4)
        #expect(DisplayWidth.of("ＡＢ") == 4)  // fullwidth Latin (F)
        #expect(DisplayWidth.of("\u{3000}") == 2)  // ideographic space (F)
        #expect(DisplayWidth.of("😀") == 2)
        #expect(DisplayWidth.of("\u{20000}") == 2)  // CJK Extension B, outside the Basic Multilingual Plane
    }

    @Test func combiningMarksAndZeroWidthCharactersTakeNoColumns() {
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.of("a\u{20DD}") == 1)  // enclosing mark (Me)
        #expect(DisplayWidth.of("a\u{200B}b\u{200D}c\u{FEFF}") == 3)
        #expect(DisplayWidth.of("\u{1112}\u{1161}\u{11AB}") == 2)  // 한 spelled as conjoining jamo
        #expect(DisplayWidth.of("か\u{3099}") == 2)  // wide combining voiced sound mark
    }

    @Test func otherCharactersTakeOneColumn() {
        #expect(DisplayWidth.of("Montréal") == 8)
        #expect(DisplayWidth.of("Ωμέγα") == 5)
        #expect(DisplayWidth.of("\u{AD}") == 1)  // soft hyphen: terminals show it
        #expect(DisplayWidth.of("•·—") == 3)
    }

    @Test func cjkTextWithoutSpacesWrapsWithinTheWidth() {
        let sentence = "加拿大总理卡尼与中国领导人在北京会谈，双方同意降低油菜籽关税并恢复部长级对话。"
        for width in [10, 17, 24, 40] {
            let text = HTMLText.render("<p>\(sentence)</p>", width: width).text
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines.allSatisfy { DisplayWidth.of($0) <= width }, "width \(width): \(lines)")
            #expect(lines.count > 1)
            #expect(lines.joined() == sentence)
        }
    }

    @Test func closingPunctuationNeverStartsALineAndOpeningBracketsNeverEndOne() {
        // At width 6 a naive break would put "。" and "（" at the edges of lines.
        for width in 4...12 {
            let text = HTMLText.render("<p>漢字。漢字（漢字）漢字、漢字</p>", width: width).text
            for line in text.split(separator: "\n") {
                #expect(!"。）、".contains(line.first!), "width \(width): \(text)")
                #expect(line.last! != "（", "width \(width): \(text)")
            }
        }
    }

    @Test func combiningMarksDoNotCountTowardsTheWidth() {
        // Each word is 5 letters plus 5 combining accents: 5 columns, 10 scalars.
        let word = "e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}"
        let text = HTMLText.render("<p>" + Array(repeating: word, count: 6).joined(separator: " ") + "</p>", width: 17).text
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { DisplayWidth.of(String($0)) == 17 })
    }

    @Test func mixedLatinAndCJKWrapsAtSpacesAndBetweenIdeographs() {
        let text = HTMLText.render("<p>Swift 6 语言模式 ships today</p>", width: 10).text
        #expect(text == "Swift 6 语\n言模式\nships\ntoday")
    }

    @Test func headingRulesMatchTheDisplayWidthOfTheHeading() {
        #expect(HTMLText.render("<h1>北京会谈</h1>").text == "北京会谈\n========")
    }

    @Test func theGeneratedTableIsWhatTheGeneratorMakesFromTheUnicodeData() throws {
        let data = "/usr/share/unicode/EastAsianWidth.txt"
        try #require(FileManager.default.fileExists(atPath: data),
                     "\(data) is missing: install Debian's unicode-data (Tools/setup does)")
        try expectGeneratorReproduces("Tools/generate-display-width", "Sources/BriefingText/DisplayWidth.generated.swift")
    }
}
