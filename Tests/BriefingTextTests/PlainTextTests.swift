import Testing
@testable import BriefingText

@Suite("HTML as words for the search index")
struct PlainTextTests {
    @Test func blocksBecomeSingleSpacesAndInlineTagsJoinWords() {
        #expect(HTMLText.plainText("<h1>Canola</h1><p>Tariffs <b>ro</b>se.</p><ul><li>one</li><li>two</li></ul>") == "Canola Tariffs rose. one two")
    }

    @Test func linkTextIsKeptWithoutReferences() {
        #expect(HTMLText.plainText("<p>Read <a href=\"https://x.example\">the report</a>.</p>") == "Read the report.")
    }

    @Test func imageAltTextCountsAsWords() {
        #expect(HTMLText.plainText("<p>Glacier<img alt=\"Rhône glacier\">retreat</p>") == "Glacier Rhône glacier retreat")
    }

    @Test func nonTextElementsAndEntitiesAreHandledAsInRender() {
        #expect(HTMLText.plainText("<script>x()</script><style>p{}</style><p>Caf&eacute; &amp; bar&#8217;s</p>") == "Café & bar’s")
    }

    @Test func preformattedWhitespaceIsCollapsedToo() {
        #expect(HTMLText.plainText("<pre>a\n\n   b</pre>") == "a b")
    }
}
