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
        #expect(text("&AMP;") == "&AMP;")
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
}
