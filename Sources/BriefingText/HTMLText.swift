import Foundation

/// An article rendered for reading: the text, and the link targets its `[n]` markers refer to.
///
/// Print `text` (through `TerminalText`); it already ends with the numbered list under "References".
/// To open reference `[n]`, use `links[n - 1]`.
public struct RenderedText: Sendable, Equatable {
    public var text: String
    public var links: [String]

    public init(text: String, links: [String]) {
        self.text = text
        self.links = links
    }
}

/// Turns an article's HTML into text: readable layout for `briefing show`, bare words for the search index.
///
/// `HTMLText.render(html, width: 80)` lays out paragraphs, headings, lists, quotes and preformatted
/// blocks for a terminal and numbers links as references; `HTMLText.plainText(html)` returns just the
/// words, cheaply enough to run on every article at sync time. Both accept any input, never throw, and
/// take time linear in its size however deeply it nests. Neither output is terminal-safe yet:
/// pass what you print through `TerminalText`.
///
/// Layout choices: paragraphs and other blocks are separated by a blank line; h1 is underlined with
/// `=` and h2 with `-`, smaller headings stand alone on their line; list items start with `  • ` (`  * `
/// with `.ascii` markers) or `  1. ` and nested lists indent by the width of their parent's marker;
/// blockquote lines start with `> `; `pre` keeps its lines as written. Wrapping counts the columns a
/// terminal gives each character (`DisplayWidth`: two for CJK and emoji, none for combining marks),
/// breaks at spaces and between CJK characters, and never inside a word, so a URL longer than the
/// width keeps its own line.
public enum HTMLText {
    /// Lays out `html` as text, wrapped to `width` columns when given.
    ///
    /// Links (except `javascript:`, `vbscript:`, `data:` and same-page `#` links) get a `[n]` after
    /// their text, numbered in order of first appearance with repeated targets sharing a number, and
    /// are listed at the end under "References". Images show as `[image: alt]`. `markers` gives the
    /// list bullet.
    public static func render(_ html: String, width: Int? = nil, markers: TextMarkers = .unicode) -> RenderedText {
        var source = TerminalText.sanitize(html, singleLine: false, keepingHTMLWhitespace: true)
        return source.withUTF8 { bytes in
            var layout = TextLayout(bytes: bytes, width: width.flatMap { $0 > 0 ? $0 : nil }, markers: markers)
            layout.run()
            return layout.finish()
        }
    }

    /// The words of `html` separated by single spaces, for the search index: no layout, no references.
    public static func plainText(_ html: String) -> String {
        var source = TerminalText.sanitize(html, singleLine: false, keepingHTMLWhitespace: true)
        return source.withUTF8 { bytes in
            var collector = WordCollector(capacity: bytes.count)
            var tokenizer = HTMLTokenizer(bytes)
            while let token = tokenizer.next() {
                switch token {
                case .text(let range):
                    decodeText(bytes, range, inAttribute: false, into: &collector)
                case .startTag(let tag, _):
                    if tag == .img, let alt = tokenizer.attribute("alt") {
                        collector.separate()
                        decodeText(bytes, alt, inAttribute: true, into: &collector)
                        collector.separate()
                    } else if tag.isBlock {
                        collector.separate()
                    }
                case .endTag(let tag):
                    if tag.isBlock { collector.separate() }
                }
            }
            return String(decoding: collector.output, as: UTF8.self)
        }
    }
}

/// Receives decoded text from `decodeText`; each renderer decides what whitespace means to it.
protocol DecodedTextSink {
    /// Bytes of non-whitespace text, valid UTF-8.
    mutating func appendRun(_ bytes: UnsafeBufferPointer<UInt8>)
    /// A character from a reference; never ASCII whitespace nor U+00A0.
    mutating func appendScalar(_ scalar: Unicode.Scalar)
    /// Space, tab or newline (CR and FF already turned into newline and space).
    mutating func appendWhitespace(_ byte: UInt8)
    mutating func appendNoBreakSpace()
}

/// Splits a text range into runs, whitespace and decoded references, feeding them to `sink`.
func decodeText<Sink: DecodedTextSink>(
    _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, inAttribute: Bool, into sink: inout Sink
) {
    let end = range.upperBound
    var i = range.lowerBound
    var runStart = i
    @inline(__always) func flush(_ upTo: Int, _ sink: inout Sink) {
        if upTo > runStart {
            sink.appendRun(UnsafeBufferPointer(rebasing: bytes[runStart..<upTo]))
        }
    }
    while i < end {
        let byte = bytes[i]
        // Almost every byte is above "&" and not a lead byte of U+00A0: one comparison each.
        if byte > 0x26 && byte != 0xC2 {
            i &+= 1
            continue
        }
        if byte == UInt8(ascii: "&") {
            guard let (scalar, second, next) = HTMLEntities.decode(bytes, at: i, end: end, inAttribute: inAttribute) else {
                i += 1
                continue
            }
            flush(i, &sink)
            switch scalar.value {
            case 0x20, 0x09, 0x0A: sink.appendWhitespace(UInt8(scalar.value))
            case 0xA0: sink.appendNoBreakSpace()
            default: sink.appendScalar(scalar)
            }
            // The second scalar of a two-scalar reference (`&NotEqualTilde;`) is never whitespace.
            if let second { sink.appendScalar(second) }
            i = next
            runStart = i
        } else if byte <= 0x20 {
            flush(i, &sink)
            switch byte {
            case 0x20, 0x09, 0x0A: sink.appendWhitespace(byte)
            case 0x0D:
                // CRLF is one line end; a lone CR (old Mac files) is one too.
                if i + 1 >= end || bytes[i + 1] != 0x0A { sink.appendWhitespace(0x0A) }
            case 0x0C: sink.appendWhitespace(0x20)
            default: break  // other controls were removed before tokenizing; drop any that slip through
            }
            i += 1
            runStart = i
        } else if byte == 0xC2 && i + 1 < end && bytes[i + 1] == 0xA0 {
            flush(i, &sink)
            sink.appendNoBreakSpace()
            i += 2
            runStart = i
        } else {
            i += 1
        }
    }
    flush(end, &sink)
}

func appendUTF8(_ scalar: Unicode.Scalar, to output: inout [UInt8]) {
    let value = scalar.value
    switch value {
    case 0..<0x80:
        output.append(UInt8(value))
    case 0x80..<0x800:
        output.append(UInt8(0xC0 | (value >> 6)))
        output.append(UInt8(0x80 | (value & 0x3F)))
    case 0x800..<0x10000:
        output.append(UInt8(0xE0 | (value >> 12)))
        output.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
        output.append(UInt8(0x80 | (value & 0x3F)))
    default:
        output.append(UInt8(0xF0 | (value >> 18)))
        output.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
        output.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
        output.append(UInt8(0x80 | (value & 0x3F)))
    }
}

/// Collects words separated by single spaces: the search-index form of an article.
private struct WordCollector: DecodedTextSink {
    var output: [UInt8] = []
    private var pendingSpace = false

    init(capacity: Int) {
        output.reserveCapacity(capacity)
    }

    mutating func separate() {
        pendingSpace = true
    }

    @inline(__always) private mutating func startWord() {
        if pendingSpace {
            if !output.isEmpty { output.append(0x20) }
            pendingSpace = false
        }
    }

    mutating func appendRun(_ bytes: UnsafeBufferPointer<UInt8>) {
        startWord()
        output.append(contentsOf: bytes)
    }

    mutating func appendScalar(_ scalar: Unicode.Scalar) {
        startWord()
        appendUTF8(scalar, to: &output)
    }

    mutating func appendWhitespace(_ byte: UInt8) {
        pendingSpace = true
    }

    mutating func appendNoBreakSpace() {
        pendingSpace = true
    }
}

/// Collects an attribute value as written, references decoded.
struct AttributeCollector: DecodedTextSink {
    var output: [UInt8] = []

    mutating func appendRun(_ bytes: UnsafeBufferPointer<UInt8>) { output.append(contentsOf: bytes) }
    mutating func appendScalar(_ scalar: Unicode.Scalar) { appendUTF8(scalar, to: &output) }
    mutating func appendWhitespace(_ byte: UInt8) { output.append(byte) }
    mutating func appendNoBreakSpace() { output.append(contentsOf: [0xC2, 0xA0]) }
}
