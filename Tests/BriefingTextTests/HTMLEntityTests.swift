import Foundation
import Testing
@testable import BriefingText

@Suite("HTML character references")
struct HTMLEntityTests {
    private func text(_ html: String) -> String { HTMLText.render(html).text }

    @Test func namedReferencesCommonInNewsAreDecoded() {
        #expect(text("&amp; &lt; &gt; &quot; &apos;") == "& < > \" '")
        #expect(text("&ndash; &mdash; &hellip; &lsquo;x&rsquo; &ldquo;y&rdquo; &laquo;z&raquo;") == "– — … ‘x’ “y” «z»")
        #expect(text("&copy; &reg; &trade; &euro; &pound; &yen; &deg; &frac12;") == "© ® ™ € £ ¥ ° ½")
        #expect(text("Montr&eacute;al, Z&uuml;rich, S&atilde;o Paulo, &Aring;lesund, &szlig;") == "Montréal, Zürich, São Paulo, Ålesund, ß")
    }

    @Test func namesAreCaseSensitive() {
        #expect(text("&Eacute;cole &eacute;t&eacute;") == "École été")
        #expect(text("&Amp; &Eacute &EAcute;") == "&Amp; É &EAcute;")
    }

    @Test func noBreakSpaceJoinsWordsButIsKept() {
        #expect(text("10&nbsp;km") == "10\u{A0}km")
        #expect(HTMLText.plainText("10&nbsp;km") == "10 km")
    }

    @Test func decimalAndHexReferencesAreDecoded() {
        #expect(text("Carney&#8217;s &#x201C;reset&#X201D; &#65;&#x42;") == "Carney’s “reset” AB")
    }

    @Test func invalidCodePointsBecomeTheReplacementCharacter() {
        #expect(text("[&#0;] [&#xD800;] [&#1114112;] [&#x110000;] [&#99999999999999999999;]") == "[\u{FFFD}] [\u{FFFD}] [\u{FFFD}] [\u{FFFD}] [\u{FFFD}]")
    }

    @Test func c1ReferencesMeanWindows1252AsInBrowsers() {
        #expect(text("&#150; &#146; &#147;q&#148; &#128;") == "– ’ “q” €")
    }

    @Test func unknownOrIncompleteReferencesStayAsWritten() {
        #expect(text("&bogus; & &; &#; &#x; AT&T R&D") == "&bogus; & &; &#; &#x; AT&T R&D")
    }

    @Test func legacyReferencesWithoutSemicolonDecodeInTextOnly() {
        #expect(text("Q&amp A &copy 2026") == "Q& A © 2026")
        #expect(HTMLText.render("<a href=\"https://x.example/?a=1&copy=2\">x</a>").links == ["https://x.example/?a=1&copy=2"])
    }

    @Test func referencesToWhitespaceCollapseLikeWhitespace() {
        #expect(text("a&#32;&#10;&#9; b") == "a b")
    }

    @Test func theWholeHTML5TableIsKnownIncludingReferencesOfTwoCodePoints() {
        #expect(text("&NotEqualTilde; &nvlt; &fjlig; &ThickSpace;x") == "\u{2242}\u{338} <\u{20D2} fj \u{205F}\u{200A}x")
        #expect(text("&CounterClockwiseContourIntegral; &DoubleLongLeftRightArrow; &zwnj;") == "\u{2233} \u{27FA} \u{200C}")
        #expect(text("&Afr; &bne; &lesg;") == "\u{1D504} =\u{20E5} \u{22DA}\u{FE00}")
    }

    @Test func everyNameInPythonsCopyOfTheWHATWGTableDecodesToItsValue() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import html.entities, json; print(json.dumps(html.entities.html5))"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let table = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        #expect(table.count == 2231)
        var failures: [String] = []
        for (name, value) in table where !value.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) {
            // In a word, followed by a letter: a bare legacy name still decodes there in text.
            if text("x&\(name)x") != "x\(value)x" { failures.append(name) }
        }
        #expect(failures.isEmpty, "not decoded as in HTML5: \(failures.sorted().prefix(20))")
    }

    @Test func theLongestNameWinsAndBareLegacyNamesDecodeInText() {
        #expect(text("&notin; &notit; &copy2026 &ampx; &amp;amp;") == "\u{2209} \u{AC}it; \u{A9}2026 &x; &amp;")
        #expect(text("&Ntilde &NotEqual &nope;") == "\u{D1} &NotEqual &nope;")
    }

    @Test func bareLegacyNamesInAttributesDecodeOnlyBeforeSomethingElseThanLettersDigitsOrEquals() {
        let links = HTMLText.render("""
            <a href="https://x.example/?a=1&copy=2&amp;b=3">a</a> <a href="https://y.example/?q=&copy2">b</a> \
            <a href="https://z.example/&copy;&copy-&notin;">c</a>
            """).links
        #expect(links == ["https://x.example/?a=1&copy=2&b=3", "https://y.example/?q=&copy2", "https://z.example/\u{A9}\u{A9}-\u{2209}"])
    }

    @Test func theGeneratedTableIsWhatTheGeneratorMakesFromPythonsTable() throws {
        try expectGeneratorReproduces("Tools/generate-html-entities", "Sources/BriefingText/HTMLEntities.generated.swift")
    }
}
