import Foundation

/// Makes untrusted text (titles, bodies, server error messages) safe to print on a terminal.
///
/// Text from a feed can carry escape sequences that clear the screen, retitle the window or forge
/// hyperlinks, and bidi controls that make a line read differently from what it stores. Pass every
/// such string through `TerminalText.sanitize(_:)` right before printing it, or
/// `sanitize(_:singleLine: true)` for one-line fields such as list rows and error messages;
/// `isSafe(_:)` answers whether a string would come back unchanged.
public enum TerminalText {
    /// Returns `text` without control characters, escape sequences and bidi controls.
    ///
    /// Newlines and tabs survive unless `singleLine` is set, in which case they (and U+2028/U+2029)
    /// become spaces. Complete escape sequences are dropped whole, so no half of one leaks out as
    /// visible junk such as `[2J`.
    public static func sanitize(_ text: String, singleLine: Bool = false) -> String {
        sanitize(text, singleLine: singleLine, keepingHTMLWhitespace: false)
    }

    /// Whether `sanitize(text, singleLine:)` would return `text` unchanged.
    public static func isSafe(_ text: String, singleLine: Bool = false) -> Bool {
        isSafe(text, singleLine: singleLine, keepingHTMLWhitespace: false)
    }

    /// A short, one-line, terminal-safe rendering of untrusted text for an error message: sanitized, and
    /// cut to `limit` characters with `...` when longer.
    public static func clip(_ text: String, to limit: Int = 60) -> String {
        let safe = sanitize(text, singleLine: true)
        return safe.count > limit ? String(safe.prefix(limit - 3)) + "..." : safe
    }

    /// `keepingHTMLWhitespace` also keeps CR and FF: the HTML renderer cleans its input with this and
    /// turns them into newlines and spaces itself, so CRLF documents still take the fast path.
    static func sanitize(_ text: String, singleLine: Bool, keepingHTMLWhitespace: Bool) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard let firstUnsafe = firstUnsafeOffset(bytes, singleLine, keepingHTMLWhitespace) else {
                return nil
            }
            return String(decoding: cleaned(bytes, from: firstUnsafe, singleLine, keepingHTMLWhitespace), as: UTF8.self)
        } ?? text
    }

    static func isSafe(_ text: String, singleLine: Bool, keepingHTMLWhitespace: Bool) -> Bool {
        var text = text
        return text.withUTF8 { firstUnsafeOffset($0, singleLine, keepingHTMLWhitespace) == nil }
    }

    /// The one-pass state machine, scalar by scalar. It decodes scalars from the UTF-8 itself and
    /// copies runs of kept text in bulk, because appending scalar by scalar was several times slower.
    private static func cleaned(
        _ bytes: UnsafeBufferPointer<UInt8>, from firstUnsafe: Int, _ singleLine: Bool, _ keepingHTMLWhitespace: Bool
    ) -> [UInt8] {
        let count = bytes.count
        var output: [UInt8] = []
        output.reserveCapacity(count)
        var state = State.text
        var index = firstUnsafe
        var keptFrom = 0  // start of text not yet copied to output, while in .text
        var stringBody = 0
        // Set once a control string ran off the end: no terminator exists anywhere after that point,
        // so later introducers can be dropped on their own without scanning ahead again (keeps it linear).
        var noTerminatorAhead = false

        @inline(__always) func keepsVerbatim(_ value: UInt32) -> Bool {
            switch value {
            case 0x20..<0x7F: return true
            case 0x0A, 0x09: return !singleLine
            case 0x0D, 0x0C: return keepingHTMLWhitespace
            case 0x2028, 0x2029: return !singleLine
            default: return !isUnsafe(value)
            }
        }

        while true {
            while index < count {
                let lead = bytes[index]
                var value = UInt32(lead)
                var next = index + 1
                if lead >= 0xC0 {
                    // The String is valid UTF-8, so the lead byte tells the length and the rest follow.
                    let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                    value &= lead >= 0xF0 ? 0x07 : lead >= 0xE0 ? 0x0F : 0x1F
                    for offset in 1..<length where index + offset < count {
                        value = value << 6 | UInt32(bytes[index + offset] & 0x3F)
                    }
                    next = min(index + length, count)
                }
                switch state {
                case .text:
                    if keepsVerbatim(value) {
                        index = next
                        continue
                    }
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[keptFrom..<index]))
                    keptFrom = next
                    switch value {
                    case 0x1B:
                        state = .escape
                    case 0x9B:
                        state = .controlSequence
                    case 0x90, 0x98, 0x9D, 0x9E, 0x9F:
                        if !noTerminatorAhead {
                            state = .controlString
                            stringBody = next
                        }
                    case 0x0A, 0x09, 0x2028, 0x2029:
                        output.append(0x20)  // only reached in single-line mode
                    default:
                        break
                    }
                case .escape:
                    switch value {
                    case 0x5B:  // ESC [
                        state = .controlSequence
                    case 0x5D, 0x50, 0x58, 0x5E, 0x5F:  // ESC ] P X ^ _
                        if noTerminatorAhead {
                            state = .text
                        } else {
                            state = .controlString
                            stringBody = next
                        }
                    case 0x1B:
                        break
                    case 0x20...0x2F:
                        state = .escapeIntermediate
                    case 0x30...0x7E:
                        state = .text
                    default:
                        // Not an escape sequence after all: the ESC goes, the scalar is judged as text.
                        state = .text
                        keptFrom = index
                        continue
                    }
                case .escapeIntermediate:
                    switch value {
                    case 0x20...0x2F: break
                    case 0x30...0x7E: state = .text
                    default:
                        state = .text
                        keptFrom = index
                        continue
                    }
                case .controlSequence:
                    switch value {
                    case 0x20...0x3F: break
                    case 0x40...0x7E: state = .text
                    default:
                        // Terminals abort a CSI on anything else (ESC starts a new sequence); so do we.
                        state = .text
                        keptFrom = index
                        continue
                    }
                case .controlString:
                    switch value {
                    case 0x07, 0x9C, 0x18, 0x1A: state = .text
                    case 0x1B: state = .escape  // ESC \ ends the string; any other ESC x also ends it
                    default: break
                    }
                }
                index = next
                keptFrom = next
            }
            guard state == .controlString else { break }
            // An introducer that is never terminated is more often mis-decoded text (Turkish "ş" read
            // as Latin-1 is "Å\u{9F}") than an attack; with the introducer gone nothing can swallow
            // what follows, so keep it as text rather than lose the rest of the article.
            noTerminatorAhead = true
            index = stringBody
            keptFrom = stringBody
            state = .text
        }
        if state == .text && keptFrom < count {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[keptFrom..<count]))
        }
        return output
    }

    /// Where the first byte that `sanitize` would change starts, or nil when the text is already safe.
    private static func firstUnsafeOffset(
        _ bytes: UnsafeBufferPointer<UInt8>, _ singleLine: Bool, _ keepingHTMLWhitespace: Bool
    ) -> Int? {
        let count = bytes.count
        var i = 0
        while i < count {
            let byte = bytes[i]
            if byte >= 0x20 && byte < 0x7F { i &+= 1; continue }
            switch byte {
            case 0x0A, 0x09:
                if singleLine { return i }
            case 0x0D, 0x0C:
                if !keepingHTMLWhitespace { return i }
            case 0x00..<0x20, 0x7F:
                return i
            case 0xC0...:
                // A multi-byte scalar (the String is valid UTF-8): decoded only to ask `isUnsafe`.
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                guard i + length <= count else { break }
                var value = UInt32(byte) & (byte >= 0xF0 ? 0x07 : byte >= 0xE0 ? 0x0F : 0x1F)
                for offset in 1..<length { value = value << 6 | UInt32(bytes[i + offset] & 0x3F) }
                if isUnsafe(value) || singleLine && (value == 0x2028 || value == 0x2029) { return i }
                i &+= length
                continue
            default:
                break
            }
            i &+= 1
        }
        return nil
    }

    /// Whether a terminal could act on `scalar` rather than show it: a C0 control (newline and tab
    /// included), DEL, a C1 control, or a bidi control (embeddings and overrides U+202A–U+202E, isolates
    /// U+2066–U+2069, the marks U+200E, U+200F and U+061C). The one definition of the set: `sanitize`
    /// removes these (keeping newline and tab when asked) and the JSON escaper escapes them for terminals.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        isUnsafe(scalar.value)
    }

    static func isUnsafe(_ value: UInt32) -> Bool {
        switch value {
        case 0x00..<0x20, 0x7F...0x9F: return true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true
        default: return false
        }
    }

    private enum State {
        case text
        case escape
        case escapeIntermediate
        case controlSequence
        case controlString
    }
}
