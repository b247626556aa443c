import Foundation

/// The elements the renderer treats differently from plain inline text; every other name is `.other`.
enum HTMLTag: UInt8, CaseIterable {
    case other, body
    case a, img, br, hr
    case p, div, section, article, header, footer, nav, aside, main, figure, figcaption, address
    case details, summary, form, fieldset, center, table, caption, tr, td, th, dl, dt, dd
    case blockquote, pre, h1, h2, h3, h4, h5, h6, ul, ol, li
    // Dropped with everything inside them.
    case script, style, iframe, noscript, textarea, title, noembed, noframes, xmp
    case template, head, object, svg, math, select, audio, video, canvas

    /// Content is raw text up to the matching end tag, so markup inside must not be tokenized.
    var hasRawTextContent: Bool {
        switch self {
        case .script, .style, .iframe, .noscript, .textarea, .title, .noembed, .noframes, .xmp: return true
        default: return false
        }
    }

    /// Normal markup inside, but none of it is article text.
    var hasSkippedContent: Bool {
        switch self {
        case .template, .head, .object, .svg, .math, .select, .audio, .video, .canvas: return true
        default: return false
        }
    }

    var isBlock: Bool { HTMLTag.blockTags[Int(rawValue)] }

    private static let blockTags: [Bool] = HTMLTag.allCases.map {
        switch $0 {
        case .other, .a, .img: return false
        default: return true
        }
    }

    /// Tag names pack into 6 bits per character (letters and digits), so `blockquote` fits one UInt64
    /// and recognising a tag needs neither a String nor a lowercase copy.
    private static let byKey: [UInt64: HTMLTag] = {
        var table: [UInt64: HTMLTag] = [:]
        for tag in HTMLTag.allCases where tag != .other {
            let name = Array(String(describing: tag).utf8)
            name.withUnsafeBufferPointer { table[key($0, 0..<$0.count)!] = tag }
        }
        return table
    }()

    /// The lowercase name, for finding the end tag of raw-text content.
    var nameBytes: [UInt8] { HTMLTag.names[Int(rawValue)] }

    private static let names: [[UInt8]] = HTMLTag.allCases.map { Array(String(describing: $0).utf8) }

    static func named(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> HTMLTag {
        guard let key = key(bytes, range) else { return .other }
        return byKey[key] ?? .other
    }

    private static func key(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64? {
        guard range.count <= 10 else { return nil }
        var key: UInt64 = 0
        for i in range {
            let code: UInt64
            switch bytes[i] | 0x20 {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): code = UInt64((bytes[i] | 0x20) - UInt8(ascii: "a") + 1)
            case UInt8(ascii: "0")...UInt8(ascii: "9") where bytes[i] >= 0x30 && bytes[i] <= 0x39:
                code = UInt64(bytes[i] - UInt8(ascii: "0") + 27)
            default: return nil
            }
            key = key << 6 | code
        }
        return key
    }
}

/// One piece of an HTML document as the renderer sees it. Text ranges still hold entities.
enum HTMLToken {
    case text(Range<Int>)
    case startTag(HTMLTag, selfClosing: Bool)
    case endTag(HTMLTag)
}

/// A tolerant HTML tokenizer over UTF-8 bytes, in the spirit of the HTML5 tokenizer but much smaller.
///
/// It never fails: anything that is not markup is text, a tag cut off by the end of input is dropped
/// (as browsers do), comments, doctypes and processing instructions vanish, and elements whose content
/// is never article text (script, style, head, svg…) are skipped here so neither renderer sees them.
/// It keeps no element stack, only a counter for the element being skipped, so depth costs nothing.
struct HTMLTokenizer {
    let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    /// Attributes of the last start tag, recorded only for the tags that use them.
    private(set) var attributes: [(name: Range<Int>, value: Range<Int>)] = []
    private var skipping: HTMLTag = .other
    private var skipDepth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        attributes.reserveCapacity(8)
    }

    /// The value range of attribute `name` (lowercase ASCII) on the last start tag.
    func attribute(_ name: StaticString) -> Range<Int>? {
        let wanted = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        for attribute in attributes where attribute.name.count == wanted.count {
            var same = true
            for (offset, i) in attribute.name.enumerated() where bytes[i] | 0x20 != wanted[offset] {
                same = false
                break
            }
            if same { return attribute.value }
        }
        return nil
    }

    mutating func next() -> HTMLToken? {
        let count = bytes.count
        while position < count {
            let start = position
            if bytes[position] != UInt8(ascii: "<") {
                position = find(UInt8(ascii: "<"), from: position + 1) ?? count
                if skipDepth > 0 {
                    // Text in <head> means the author forgot </head>; browsers leave head there too.
                    if skipping == .head && containsNonWhitespace(start..<position) {
                        skipDepth = 0
                        return .text(start..<position)
                    }
                    continue
                }
                return .text(start..<position)
            }
            guard let token = markup() else { continue }
            switch token {
            case .text:
                if skipDepth == 0 { return token }
            case .startTag(let tag, let selfClosing):
                if tag.hasRawTextContent && !selfClosing {
                    skipRawText(of: tag)
                    continue
                }
                if skipDepth > 0 {
                    if tag == skipping && !selfClosing {
                        skipDepth += 1
                    } else if skipping == .head && tag != .other && !tag.hasSkippedContent {
                        skipDepth = 0
                        return token
                    }
                    continue
                }
                if tag.hasSkippedContent && !selfClosing {
                    skipping = tag
                    skipDepth = 1
                    continue
                }
                return token
            case .endTag(let tag):
                if skipDepth > 0 {
                    if tag == skipping { skipDepth -= 1 }
                    continue
                }
                return token
            }
        }
        return nil
    }

    /// Reads the markup at `position` (a `<`); nil when it produced nothing (comment, doctype…).
    private mutating func markup() -> HTMLToken? {
        let count = bytes.count
        let start = position
        let afterAngle = start + 1
        guard afterAngle < count else {
            position = count
            return .text(start..<count)
        }
        let first = bytes[afterAngle]
        if isLetter(first) {
            return startTag(nameAt: afterAngle)
        }
        switch first {
        case UInt8(ascii: "/"):
            if afterAngle + 1 < count && isLetter(bytes[afterAngle + 1]) {
                var i = afterAngle + 1
                while i < count && !isNameEnd(bytes[i]) { i += 1 }
                let tag = HTMLTag.named(bytes, (afterAngle + 1)..<i)
                guard let end = skipAttributes(from: i, recording: false) else { return nil }
                position = end
                return .endTag(tag)
            }
            // "</>" and "</ …>" are nothing to a browser.
            position = (find(UInt8(ascii: ">"), from: afterAngle) ?? count - 1) + 1
            return nil
        case UInt8(ascii: "!"):
            if hasPrefix("<!--", at: start) {
                position = findComment(from: start + 4)
                return nil
            }
            if hasPrefix("<![CDATA[", at: start) {
                let body = start + 9
                let close = findSequence("]]>", from: body)
                position = close.map { $0 + 3 } ?? count
                return .text(body..<(close ?? count))
            }
            position = (find(UInt8(ascii: ">"), from: afterAngle) ?? count - 1) + 1
            return nil
        case UInt8(ascii: "?"):
            position = (find(UInt8(ascii: ">"), from: afterAngle) ?? count - 1) + 1
            return nil
        default:
            // A "<" that starts no markup ("a < b") is just text.
            position = afterAngle
            return .text(start..<afterAngle)
        }
    }

    private mutating func startTag(nameAt nameStart: Int) -> HTMLToken? {
        var i = nameStart
        let count = bytes.count
        while i < count && !isNameEnd(bytes[i]) { i += 1 }
        let tag = HTMLTag.named(bytes, nameStart..<i)
        attributes.removeAll(keepingCapacity: true)
        let wantsAttributes = tag == .a || tag == .img || tag == .ol
        guard let end = skipAttributes(from: i, recording: wantsAttributes) else { return nil }
        position = end
        let selfClosing = end >= 2 && bytes[end - 2] == UInt8(ascii: "/")
        return .startTag(tag, selfClosing: selfClosing)
    }

    /// Walks attributes up to the closing `>`; returns the index after it, or nil (and consumes the
    /// rest of the input) when the tag never closes.
    private mutating func skipAttributes(from start: Int, recording: Bool) -> Int? {
        let count = bytes.count
        var i = start
        while true {
            while i < count && (isSpace(bytes[i]) || bytes[i] == UInt8(ascii: "/")) { i += 1 }
            guard i < count else { break }
            if bytes[i] == UInt8(ascii: ">") { return i + 1 }
            let nameStart = i
            i += 1  // a name may start with "=", as in the HTML tokenizer
            while i < count && !isSpace(bytes[i]) && bytes[i] != UInt8(ascii: "/")
                && bytes[i] != UInt8(ascii: ">") && bytes[i] != UInt8(ascii: "=") { i += 1 }
            let name = nameStart..<i
            while i < count && isSpace(bytes[i]) { i += 1 }
            var value = i..<i
            if i < count && bytes[i] == UInt8(ascii: "=") {
                i += 1
                while i < count && isSpace(bytes[i]) { i += 1 }
                guard i < count else { break }
                let quote = bytes[i]
                if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                    guard let close = find(quote, from: i + 1) else { break }
                    value = (i + 1)..<close
                    i = close + 1
                } else {
                    let valueStart = i
                    while i < count && !isSpace(bytes[i]) && bytes[i] != UInt8(ascii: ">") { i += 1 }
                    value = valueStart..<i
                }
            }
            if recording { attributes.append((name, value)) }
        }
        position = count
        return nil
    }

    private mutating func skipRawText(of tag: HTMLTag) {
        let name = tag.nameBytes
        let count = bytes.count
        var i = position
        while let angle = find(UInt8(ascii: "<"), from: i) {
            i = angle + 1
            guard angle + 2 + name.count <= count, bytes[angle + 1] == UInt8(ascii: "/") else { continue }
            var matches = true
            for (offset, byte) in name.enumerated() where bytes[angle + 2 + offset] | 0x20 != byte {
                matches = false
                break
            }
            let after = angle + 2 + name.count
            guard matches, after == count || isNameEnd(bytes[after]) else { continue }
            position = (find(UInt8(ascii: ">"), from: after) ?? count - 1) + 1
            return
        }
        position = count
    }

    private func findComment(from start: Int) -> Int {
        // "<!-->" and "<!--->" are complete (empty) comments in HTML.
        if hasPrefix(">", at: start) { return start + 1 }
        if hasPrefix("->", at: start) { return start + 2 }
        return findSequence("-->", from: start).map { $0 + 3 } ?? bytes.count
    }

    private func find(_ byte: UInt8, from start: Int) -> Int? {
        var i = start
        let count = bytes.count
        while i < count {
            if bytes[i] == byte { return i }
            i &+= 1
        }
        return nil
    }

    private func findSequence(_ sequence: StaticString, from start: Int) -> Int? {
        let first = sequence.utf8Start.pointee
        var i = start
        while let candidate = find(first, from: i) {
            if hasPrefix(sequence, at: candidate) { return candidate }
            i = candidate + 1
        }
        return nil
    }

    private func hasPrefix(_ prefix: StaticString, at start: Int) -> Bool {
        let length = prefix.utf8CodeUnitCount
        guard start + length <= bytes.count else { return false }
        for offset in 0..<length where asciiLowercase(bytes[start + offset]) != asciiLowercase(prefix.utf8Start[offset]) {
            return false
        }
        return true
    }

    private func containsNonWhitespace(_ range: Range<Int>) -> Bool {
        range.contains { !isSpace(bytes[$0]) }
    }
}

@inline(__always) func isSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x0C
}

@inline(__always) private func asciiLowercase(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
}

@inline(__always) private func isLetter(_ byte: UInt8) -> Bool {
    let lower = byte | 0x20
    return lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")
}

@inline(__always) private func isNameEnd(_ byte: UInt8) -> Bool {
    isSpace(byte) || byte == UInt8(ascii: "/") || byte == UInt8(ascii: ">")
}
