import Testing
@testable import BriefingText

@Suite("HTML rendered as readable text")
struct HTMLRenderTests {
    private func render(_ html: String, width: Int? = nil) -> String {
        HTMLText.render(html, width: width).text
    }

    @Test func paragraphsAreSeparatedByOneBlankLine() {
        #expect(render("<p>First.</p><p>Second.</p>\n\n<div>Third.</div>") == "First.\n\nSecond.\n\nThird.")
    }

    @Test func sectionsArticlesAndEmptyBlocksDoNotStackBlankLines() {
        #expect(render("<article><section><div><p>One</p></div></section><div></div><p></p><section>Two</section></article>") == "One\n\nTwo")
    }

    @Test func whitespaceCollapsesAsInHTML() {
        #expect(render("<p>  a\n\t  lot   of\r\n space  </p>") == "a lot of space")
    }

    @Test func inlineTagsDoNotSplitWords() {
        #expect(render("<p>un<b>believ</b><i>able</i> result</p>") == "unbelievable result")
    }

    @Test func lineBreakStartsANewLineAndTwoLeaveABlankLine() {
        #expect(render("<p>one<br>two<br/><br />three</p>") == "one\ntwo\n\nthree")
    }

    @Test func firstLevelHeadingsAreUnderlinedWithEqualsSigns() {
        #expect(render("<h1>Top story</h1><p>Body</p>") == "Top story\n=========\n\nBody")
    }

    @Test func secondLevelHeadingsAreUnderlinedWithDashes() {
        #expect(render("<p>Intro</p><h2>Markets</h2><p>Body</p>") == "Intro\n\nMarkets\n-------\n\nBody")
    }

    @Test func smallerHeadingsStandOnTheirOwnLines() {
        #expect(render("text<h3>Detail</h3>more<h6>Note</h6>end") == "text\n\nDetail\n\nmore\n\nNote\n\nend")
    }

    @Test func unorderedListItemsGetBullets() {
        #expect(render("<p>Items:</p><ul><li>canola</li><li>pork</li></ul><p>After</p>") == "Items:\n\n  • canola\n  • pork\n\nAfter")
    }

    @Test func orderedListsAreNumberedFromTheirStart() {
        #expect(render("<ol><li>one</li><li>two</li></ol><ol start=\"9\"><li>nine</li><li>ten</li></ol>")
            == "  1. one\n  2. two\n\n  9. nine\n  10. ten")
    }

    @Test func nestedListsIndentUnderTheirParentItem() {
        let html = "<ul><li>fruit<ul><li>apple</li><li>pear<ol><li>ripe</li></ol></li></ul></li><li>bread</li></ul>"
        #expect(render(html) == "  • fruit\n      • apple\n      • pear\n          1. ripe\n  • bread")
    }

    @Test func unclosedListItemsCloseEachOther() {
        #expect(render("<ul><li>a<li>b<li>c</ul>") == "  • a\n  • b\n  • c")
    }

    @Test func wrappedListItemsContinueUnderTheirText() {
        #expect(render("<ul><li>one two three four five six</li></ul>", width: 14) == "  • one two\n    three four\n    five six")
    }

    @Test func wrappingNeverBreaksAWordAndKeepsLinesWithinWidth() {
        let text = render("<p>The provincial canola growers welcomed the announcement cautiously https://example.com/a/very/long/url</p>", width: 20)
        #expect(text == "The provincial\ncanola growers\nwelcomed the\nannouncement\ncautiously\nhttps://example.com/a/very/long/url")
    }

    @Test func withoutWidthParagraphsStayOnOneLine() {
        let words = Array(repeating: "word", count: 60).joined(separator: " ")
        #expect(render("<p>\(words)</p>") == words)
    }

    @Test func blockquoteLinesArePrefixed() {
        #expect(render("<p>He said:</p><blockquote><p>We are open.</p><p>Truly.</p></blockquote><p>End</p>")
            == "He said:\n\n> We are open.\n>\n> Truly.\n\nEnd")
    }

    @Test func preformattedTextIsKeptVerbatim() {
        let html = "<p>Code:</p><pre>\nlet  x = 1\n    if x &lt; 2 {\n\n  }</pre><p>Done</p>"
        #expect(render(html) == "Code:\n\nlet  x = 1\n    if x < 2 {\n\n  }\n\nDone")
    }

    @Test func linksBecomeNumberedReferencesListedAtTheEnd() {
        let result = HTMLText.render("<p>See <a href=\"https://a.example/x?y=1&amp;z=2\">the report</a> and <a href='https://b.example'>this</a>.</p>")
        #expect(result.text == "See the report[1] and this[2].\n\nReferences\n[1] https://a.example/x?y=1&z=2\n[2] https://b.example")
        #expect(result.links == ["https://a.example/x?y=1&z=2", "https://b.example"])
    }

    @Test func aRepeatedLinkTargetReusesItsNumber() {
        let result = HTMLText.render("<a href=\"https://a.example\">one</a> <a href=\"https://b.example\">two</a> <a href=\"https://a.example\">three</a>")
        #expect(result.text.hasPrefix("one[1] two[2] three[1]"))
        #expect(result.links == ["https://a.example", "https://b.example"])
    }

    @Test func javascriptAndFragmentLinksKeepTheirTextButGetNoReference() {
        let result = HTMLText.render("<a href=\"javascript:alert(1)\">a</a> <a href=\" JavaScript:x\">b</a> <a href=\"#top\">c</a> <a>d</a>")
        #expect(result.text == "a b c d")
        #expect(result.links.isEmpty)
    }

    @Test func relativeLinksAreListedAsWritten() {
        #expect(HTMLText.render("<a href=\"/2026/story\">story</a>").links == ["/2026/story"])
    }

    @Test func imagesShowTheirAltText() {
        #expect(render("<p>Before <img src=\"a.jpg\" alt=\"Carney &amp; Xi in Beijing\"> after</p>") == "Before [image: Carney & Xi in Beijing] after")
    }

    @Test func imagesWithoutAltAreMarkedAndDecorativeOnesVanish() {
        #expect(render("<p>a <img src=x> b <img src=y alt=\"\"> c</p>") == "a [image] b c")
    }

    @Test func scriptStyleIframeAndOtherNonTextElementsAreDroppedWithTheirContent() {
        let html = """
        <head><title>Page</title><style>p { color: red }</style></head>
        <p>Visible</p><script>document.write("<p>hidden</p>")</script><style>.x{}</style>
        <iframe src="ad">fallback</iframe><noscript>enable js</noscript><template><p>tpl</p></template>
        <object data="x"><p>obj</p></object><svg><text>icon</text></svg><p>Also visible</p>
        """
        #expect(render(html) == "Visible\n\nAlso visible")
    }

    @Test func scriptEndTagMustMatchItsName() {
        #expect(render("<script>var s = '</scripts>'; '</p>'</script>after") == "after")
    }

    @Test func commentsAndDoctypeAreIgnored() {
        #expect(render("<!DOCTYPE html><!-- <p>no</p> --><p>yes<!----></p><?xml version=\"1.0\"?>") == "yes")
    }

    @Test func unclosedAndMalformedTagsAreTolerated() {
        #expect(render("<p>one <b>two <i>three<p>four</span> five</div>six <p") == "one two three\n\nfour five\n\nsix")
        #expect(render("a < b && c > d </> <3") == "a < b && c > d <3")
        #expect(render("<p class=\"unterminated>text") == "")
        #expect(render("<<p>>x") == "<\n\n>x")
    }

    @Test func tagAndAttributeNamesAreCaseInsensitive() {
        let result = HTMLText.render("<P>One<BR>two</P><SCRIPT>x()</SCRIPT><A HREF=\"https://x.example\">three</A>")
        #expect(result.text == "One\ntwo\n\nthree[1]\n\nReferences\n[1] https://x.example")
    }

    @Test func tableRowsGetTheirOwnLinesAndCellsAreSeparatedBySpaces() {
        #expect(render("<table><tr><th>City</th><th>Snow</th></tr><tr><td>Regina</td><td>10 cm</td></tr></table>") == "City Snow\nRegina 10 cm")
    }

    @Test func horizontalRuleBecomesASectionBreak() {
        #expect(render("<p>one</p><hr><p>two</p>") == "one\n\n* * *\n\ntwo")
    }

    @Test func stringsWithoutMarkupComeBackAsTheirText() {
        #expect(render("just words") == "just words")
        #expect(render("") == "")
    }

    @Test func oneHundredThousandNestedDivsFinish() {
        let html = String(repeating: "<div>", count: 100_000) + "deep" + String(repeating: "</div>", count: 100_000)
        #expect(render(html) == "deep")
        #expect(HTMLText.plainText(html) == "deep")
    }

    @Test func deeplyNestedQuotesAndListsFinishWithBoundedIndentation() {
        let html = String(repeating: "<blockquote><ul><li>", count: 20_000) + "deep"
        let lines = render(html).split(separator: "\n")
        #expect(lines.last?.hasSuffix("deep") == true)
        #expect(lines.allSatisfy { $0.count <= 60 })
    }

    @Test func rendererNeverEmitsEscapeEvenFromHostileInput() {
        let text = render("<p>\u{1b}[2Jtitle &#27;[31m &#x1b; &#x9b;</p>")
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B })
        #expect(text == "title \u{FFFD}[31m \u{FFFD} \u{203A}")
    }
}
