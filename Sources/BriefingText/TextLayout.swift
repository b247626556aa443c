import Foundation

/// Lays out tokens as terminal text for `HTMLText.render`: blocks, line prefixes, wrapping, references.
///
/// Words are collected until whitespace so that a word split by inline tags (`foo<b>bar</b>`) wraps
/// as one. Block boundaries are only requested and written when the next text arrives, so empty
/// elements and runs of closing tags never stack up blank lines. Nesting lives in `contexts`, an
/// array, never the call stack.
///
/// Columns are counted as a terminal shows them (`DisplayWidth`): wide characters take two, combining
/// marks none. Lines break at spaces, and also before a wide character, because Chinese and Japanese
/// are written without spaces; never before closing punctuation such as `。` or after an opening
/// bracket.
struct TextLayout: DecodedTextSink {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let width: Int?
    private let bullet: [UInt8]
    private var tokenizer: HTMLTokenizer

    private var output: [UInt8] = []
    /// Line ends at the end of `output` with no text after them: 1 after a line, 2 after a blank line.
    private var trailingNewlines = 0
    private var atLineStart = true
    private var column = 0
    private var pendingBreak = 0
    /// How much of `prefix` the blank lines of a pending break carry: only the part open on both sides,
    /// so the blank line before a quote has no "> " but one between two quoted paragraphs does.
    private var breakPrefixLength = 0
    private var pendingSpace = false
    private var word: [UInt8] = []
    private var wordColumns = 0
    /// The word being flushed continues the previous one without a space, but may start a new line.
    private var breakWithoutSpace = false
    /// The last character of the word is an opening bracket: no line break may follow it.
    private var noBreakAfterLast = false

    private var contexts: [Context] = []
    private var quoteCount = 0
    private var listCount = 0
    private var itemCount = 0
    /// What every line starts with inside the current quotes and list items; ASCII only.
    private var prefix: [UInt8] = []
    /// A list marker waiting for its item's first line, replacing the item's indentation there.
    private var marker: (bytes: [UInt8], at: Int, columns: Int)?

    private var preformatted = 0
    private var skipNextNewline = false
    private var heading = 0
    private var headingColumns = 0

    private var link: String?
    private var linkHasText = false
    private var links: [String] = []
    private var linkNumbers: [String: Int] = [:]

    /// Past this, deeper quotes and lists stop indenting, so a hostile document cannot make each line
    /// cost its nesting depth.
    private static let maximumPrefix = 40

    private enum Context {
        case quote(pushed: Int)
        case list(ordered: Bool, next: Int)
        case item(pushed: Int)
    }

    init(bytes: UnsafeBufferPointer<UInt8>, width: Int?, markers: TextMarkers) {
        self.bytes = bytes
        self.width = width
        self.bullet = Array("  \(markers.bullet) ".utf8)
        self.tokenizer = HTMLTokenizer(bytes)
        output.reserveCapacity(bytes.count)
    }

    mutating func run() {
        while let token = tokenizer.next() {
            switch token {
            case .text(let range):
                decodeText(bytes, range, inAttribute: false, into: &self)
            case .startTag(let tag, _):
                // HTML ignores "/>" on non-void elements, and the void ones have no end tag to wait for.
                start(tag)
            case .endTag(let tag):
                end(tag)
            }
        }
    }

    mutating func finish() -> RenderedText {
        closeLink()
        flushWord()
        while let last = output.last, last == 0x0A || last == 0x20 { output.removeLast() }
        if !links.isEmpty {
            if !output.isEmpty { output.append(contentsOf: [0x0A, 0x0A]) }
            output.append(contentsOf: Array("References\n".utf8))
            for (index, target) in links.enumerated() {
                output.append(contentsOf: Array("[\(index + 1)] \(target)\n".utf8))
            }
            output.removeLast()
        }
        return RenderedText(text: String(decoding: output, as: UTF8.self), links: links)
    }

    // MARK: Elements

    private var paragraphBreak: Int { listCount > 0 || itemCount > 0 ? 1 : 2 }

    private mutating func start(_ tag: HTMLTag) {
        switch tag {
        case .a:
            closeLink()
            if let range = tokenizer.attribute("href"), let target = linkTarget(range) {
                link = target
                linkHasText = false
            }
        case .img:
            guard let range = tokenizer.attribute("alt") else {
                appendInline(Array("[image]".utf8))
                return
            }
            var alt = AttributeCollector()
            decodeText(bytes, range, inAttribute: true, into: &alt)
            if alt.output.contains(where: { !isSpace($0) }) {
                appendInline(Array("[image: ".utf8) + alt.output + [UInt8(ascii: "]")])
            }
        case .br:
            lineBreak()
        case .hr:
            requestBreak(2)
            appendInline(Array("* * *".utf8))
            requestBreak(2)
        case .td, .th:
            flushWord()
            pendingSpace = true
        case .tr, .dt, .dd:
            requestBreak(1)
        case .blockquote:
            requestBreak(paragraphBreak)
            contexts.append(.quote(pushed: pushPrefix(Array("> ".utf8))))
            quoteCount += 1
        case .pre:
            requestBreak(paragraphBreak)
            preformatted += 1
            skipNextNewline = true
        case .h1, .h2, .h3, .h4, .h5, .h6:
            endHeading()
            requestBreak(paragraphBreak)
            heading = Int(tag.rawValue - HTMLTag.h1.rawValue) + 1
            headingColumns = 0
        case .ul, .ol:
            requestBreak(paragraphBreak)
            var first = 1
            if tag == .ol, let range = tokenizer.attribute("start") { first = integer(range) ?? 1 }
            contexts.append(.list(ordered: tag == .ol, next: first))
            listCount += 1
        case .li:
            startItem()
        case .other, .body:
            break
        default:
            requestBreak(paragraphBreak)
        }
    }

    private mutating func end(_ tag: HTMLTag) {
        switch tag {
        case .a:
            closeLink()
        case .br:
            lineBreak()  // browsers read </br> as <br>
        case .blockquote:
            if quoteCount > 0 { popContexts { if case .quote = $0 { return true } else { return false } } }
            requestBreak(paragraphBreak)
        case .pre:
            flushWord()
            if preformatted > 0 { preformatted -= 1 }
            requestBreak(paragraphBreak)
        case .h1, .h2, .h3, .h4, .h5, .h6:
            endHeading()
        case .ul, .ol:
            if listCount > 0 { popContexts { if case .list = $0 { return true } else { return false } } }
            requestBreak(paragraphBreak)
        case .li:
            if itemCount > 0 { popContexts { if case .item = $0 { return true } else { return false } } }
            requestBreak(1)
        case .tr, .dt, .dd:
            requestBreak(1)
        case .td, .th, .img, .hr, .other, .body:
            break
        default:
            requestBreak(paragraphBreak)
        }
    }

    private mutating func startItem() {
        // A new <li> closes the previous item of the same list, and anything left open inside it.
        if listCount > 0 {
            while let last = contexts.last {
                if case .list = last { break }
                popLast()
            }
        } else if itemCount > 0 {
            popContexts { if case .item = $0 { return true } else { return false } }
        }
        requestBreak(1)
        if let pending = marker, !pending.bytes.isEmpty {
            // The previous item had no text of its own (a list nested right inside it): give its
            // marker a line rather than lose it.
            writeLineStart()
            endLine()
        }
        var label = bullet
        var columns = label.withUnsafeBufferPointer { TextLayout.columns(of: $0) }
        if case .list(let ordered, let next)? = contexts.last, ordered {
            label = Array("  \(next). ".utf8)
            columns = label.count
            contexts[contexts.count - 1] = .list(ordered: true, next: next &+ 1)
        }
        let at = prefix.count
        let pushed = pushPrefix([UInt8](repeating: 0x20, count: columns))
        marker = (label, pushed > 0 ? at : max(0, prefix.count - columns), columns)
        contexts.append(.item(pushed: pushed))
        itemCount += 1
    }

    private mutating func popContexts(through matches: (Context) -> Bool) {
        while let last = contexts.last {
            popLast()
            if matches(last) { return }
        }
    }

    private mutating func popLast() {
        flushWord()
        switch contexts.removeLast() {
        case .quote(let pushed):
            prefix.removeLast(pushed)
            quoteCount -= 1
        case .list:
            listCount -= 1
        case .item(let pushed):
            prefix.removeLast(pushed)
            itemCount -= 1
        }
        if let pending = marker, pending.at + pending.columns > prefix.count { marker = nil }
        breakPrefixLength = min(breakPrefixLength, prefix.count)
    }

    private mutating func pushPrefix(_ indent: [UInt8]) -> Int {
        guard prefix.count + indent.count <= TextLayout.maximumPrefix else { return 0 }
        prefix.append(contentsOf: indent)
        return indent.count
    }

    private mutating func endHeading() {
        guard heading > 0 else { return }
        flushWord()
        if heading <= 2 && headingColumns > 0 {
            if !atLineStart { endLine() }
            var rule = headingColumns
            if let width { rule = max(1, min(rule, width - prefix.count)) }
            output.append(contentsOf: prefix)
            output.append(contentsOf: [UInt8](repeating: heading == 1 ? UInt8(ascii: "=") : UInt8(ascii: "-"), count: rule))
            atLineStart = false
            trailingNewlines = 0
        }
        heading = 0
        requestBreak(paragraphBreak)
    }

    private mutating func closeLink() {
        guard let target = link else { return }
        link = nil
        guard linkHasText else { return }
        let number: Int
        if let known = linkNumbers[target] {
            number = known
        } else {
            links.append(target)
            number = links.count
            linkNumbers[target] = number
        }
        let reference = Array("[\(number)]".utf8)
        if preformatted > 0 {
            reference.withUnsafeBufferPointer { appendPreformatted($0) }
        } else if word.isEmpty {
            // The link text ended in a space: the marker stands as its own word.
            reference.withUnsafeBufferPointer { appendWordBytes($0) }
            flushWord()
            pendingSpace = true
        } else {
            reference.withUnsafeBufferPointer { appendWordBytes($0) }
        }
    }

    /// The href as printed in the references, or nil for links that lead nowhere a reader can go.
    private func linkTarget(_ range: Range<Int>) -> String? {
        var collector = AttributeCollector()
        decodeText(bytes, range, inAttribute: true, into: &collector)
        // Browsers drop whitespace and newlines inside URLs ("java\nscript:" is still javascript:).
        let compact = collector.output.filter { !isSpace($0) && $0 >= 0x20 }
        guard let first = compact.first, first != UInt8(ascii: "#") else { return nil }
        let lowered = compact.prefix(11).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        for scheme in ["javascript:", "vbscript:", "data:"] where lowered.starts(with: scheme.utf8) {
            return nil
        }
        return String(decoding: compact, as: UTF8.self)
    }

    private func integer(_ range: Range<Int>) -> Int? {
        var collector = AttributeCollector()
        decodeText(bytes, range, inAttribute: true, into: &collector)
        let digits = String(decoding: collector.output.filter { !isSpace($0) }.prefix(9), as: UTF8.self)
        return Int(digits)
    }

    // MARK: Text

    mutating func appendRun(_ run: UnsafeBufferPointer<UInt8>) {
        if preformatted > 0 {
            appendPreformatted(run)
        } else {
            appendWordBytes(run)
        }
    }

    mutating func appendScalar(_ scalar: Unicode.Scalar) {
        var encoded: [UInt8] = []
        appendUTF8(scalar, to: &encoded)
        encoded.withUnsafeBufferPointer { appendRun($0) }
    }

    mutating func appendNoBreakSpace() {
        appendScalar("\u{A0}")
    }

    mutating func appendWhitespace(_ byte: UInt8) {
        if preformatted > 0 {
            if byte == 0x0A {
                if skipNextNewline {
                    skipNextNewline = false
                    return
                }
                if atLineStart || pendingBreak > 0 { writeLineStart() }
                endLine()
            } else {
                [byte].withUnsafeBufferPointer { appendPreformatted($0) }
            }
            return
        }
        flushWord()
        pendingSpace = true
    }

    /// Text that arrives whole rather than from the document (image labels): whitespace still collapses.
    private mutating func appendInline(_ text: [UInt8]) {
        var start = 0
        for (index, byte) in text.enumerated() where isSpace(byte) {
            if index > start { text[start..<index].withUnsafeBufferPointer { appendRun($0) } }
            appendWhitespace(0x20)
            start = index + 1
        }
        if start < text.count { text[start...].withUnsafeBufferPointer { appendRun($0) } }
    }

    /// Adds `run` (whole UTF-8 sequences) to the word, counting its columns; before a wide character
    /// that may start a line, the word so far is flushed so the line can break there.
    private mutating func appendWordBytes(_ run: UnsafeBufferPointer<UInt8>) {
        if link != nil { linkHasText = true }
        let count = run.count
        var i = 0
        var kept = 0
        while i < count {
            let lead = run[i]
            if lead < 0x80 {
                wordColumns += 1
                noBreakAfterLast = lead == UInt8(ascii: "(") || lead == UInt8(ascii: "[") || lead == UInt8(ascii: "{")
                i += 1
                continue
            }
            let (value, length) = TextLayout.scalar(in: run, at: i)
            let kind = DisplayWidth.kind(value)
            switch kind {
            case .zero:
                break
            case .one:
                wordColumns += 1
                noBreakAfterLast = false
            case .wide, .wideNoBreakBefore, .wideNoBreakAfter:
                if kind != .wideNoBreakBefore && !noBreakAfterLast && (i > kept || !word.isEmpty) {
                    word.append(contentsOf: UnsafeBufferPointer(rebasing: run[kept..<i]))
                    kept = i
                    flushWord()
                    breakWithoutSpace = true
                }
                wordColumns += 2
                noBreakAfterLast = kind == .wideNoBreakAfter
            }
            i += length
        }
        word.append(contentsOf: UnsafeBufferPointer(rebasing: run[kept..<count]))
    }

    private mutating func appendPreformatted(_ run: UnsafeBufferPointer<UInt8>) {
        skipNextNewline = false
        if link != nil { linkHasText = true }
        if atLineStart || pendingBreak > 0 { writeLineStart() }
        output.append(contentsOf: run)
        column += TextLayout.columns(of: run)
        trailingNewlines = 0
        atLineStart = false
    }

    /// The code point whose UTF-8 sequence starts at `index`, and the sequence's length.
    private static func scalar(in run: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int) {
        let lead = run[index]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        guard length > 1, index + length <= run.count else { return (UInt32(lead), 1) }
        var value = UInt32(lead & (0x7F >> length))
        for offset in 1..<length { value = value << 6 | UInt32(run[index + offset] & 0x3F) }
        return (value, length)
    }

    private static func columns(of run: UnsafeBufferPointer<UInt8>) -> Int {
        var total = 0
        var i = 0
        while i < run.count {
            if run[i] < 0x80 {
                total += 1
                i += 1
            } else {
                let (value, length) = scalar(in: run, at: i)
                total += DisplayWidth.kind(value).columns
                i += length
            }
        }
        return total
    }

    private mutating func flushWord() {
        guard !word.isEmpty else { return }
        if atLineStart || pendingBreak > 0 {
            writeLineStart()
        } else if pendingSpace {
            if let width, column + 1 + wordColumns > width {
                endLine()
                writeLineStart()
            } else {
                output.append(0x20)
                column += 1
            }
        } else if breakWithoutSpace, let width, column + wordColumns > width {
            endLine()
            writeLineStart()
        }
        breakWithoutSpace = false
        output.append(contentsOf: word)
        column += wordColumns
        if heading > 0 { headingColumns = max(headingColumns, column - prefix.count) }
        atLineStart = false
        trailingNewlines = 0
        pendingSpace = false
        word.removeAll(keepingCapacity: true)
        wordColumns = 0
    }

    // MARK: Lines

    private mutating func requestBreak(_ lines: Int) {
        flushWord()
        breakPrefixLength = pendingBreak == 0 ? prefix.count : min(breakPrefixLength, prefix.count)
        pendingBreak = max(pendingBreak, lines)
        pendingSpace = false
    }

    private mutating func lineBreak() {
        flushWord()
        pendingSpace = false
        if !atLineStart {
            endLine()
        } else if !output.isEmpty && pendingBreak == 0 {
            writeBlankLine()
        }
    }

    /// Writes any pending blank lines, then the prefix (with a list marker on an item's first line).
    private mutating func writeLineStart() {
        if !output.isEmpty {
            if !atLineStart { endLine() }
            while trailingNewlines < pendingBreak { writeBlankLine(prefixLength: breakPrefixLength) }
        }
        pendingBreak = 0
        if let pending = marker {
            let split = min(pending.at, prefix.count)
            output.append(contentsOf: prefix[..<split])
            output.append(contentsOf: pending.bytes)
            output.append(contentsOf: prefix[min(prefix.count, split + pending.columns)...])
            marker = nil
        } else {
            output.append(contentsOf: prefix)
        }
        column = prefix.count
        atLineStart = false
        trailingNewlines = 0
    }

    private mutating func endLine() {
        output.append(0x0A)
        trailingNewlines += 1
        atLineStart = true
        column = 0
    }

    private mutating func writeBlankLine(prefixLength: Int? = nil) {
        var end = min(prefixLength ?? prefix.count, prefix.count)
        while end > 0 && prefix[end - 1] == 0x20 { end -= 1 }
        output.append(contentsOf: prefix[..<end])
        endLine()
    }
}
