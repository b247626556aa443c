/// The one JSON string escaper: quotes text as a JSON string literal, for code that writes JSON directly
/// (the store's author and tag columns for every pulled article, the CLI's `--json` output).
///
/// Quotes, backslashes and C0 controls (and DEL) are always escaped, as JSON requires. With
/// `escapingTerminalControls`, every scalar `TerminalText.isUnsafe` names — C1 controls and bidi controls
/// too — becomes `\uXXXX`, so JSON printed to a terminal cannot act on it while parsing to the same text.
public enum JSONString {
    /// `text` as a quoted JSON string literal.
    public static func quoted(_ text: String, escapingTerminalControls: Bool = false) -> String {
        var out = ""
        append(text, to: &out, escapingTerminalControls: escapingTerminalControls)
        return out
    }

    /// Appends `text` as a quoted JSON string literal to `out`.
    public static func append(_ text: String, to out: inout String, escapingTerminalControls: Bool = false) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 2)
        append(text, to: &bytes, escapingTerminalControls: escapingTerminalControls)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `text` as a quoted JSON string literal, in UTF-8, to `out`.
    ///
    /// It walks the UTF-8 bytes: runs that need no escape are copied whole, and a scalar is decoded only
    /// where a non-ASCII byte starts one and terminal controls are escaped. Appending every scalar on its
    /// own, then every run as a `String`, was most of the instructions of `briefing search --json`.
    public static func append(_ text: String, to out: inout [UInt8], escapingTerminalControls: Bool = false) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            var index = 0
            while index < utf8.count {
                let lead = utf8[index]
                var length = 1
                var value = UInt32(lead)
                if lead >= 0x80 {
                    // A String is valid UTF-8: the lead byte says how many continuation bytes follow.
                    length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                    value = UInt32(lead) & (0xFF >> (length + 1))
                    for offset in 1..<length { value = value << 6 | UInt32(utf8[index + offset] & 0x3F) }
                }
                let escaped = value < 0x20 || value == 0x22 || value == 0x5C || value == 0x7F
                    || escapingTerminalControls && lead >= 0x80 && TerminalText.isUnsafe(value)
                if escaped {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                    appendEscaped(value, to: &out)
                    runStart = index + length
                }
                index += length
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// One scalar that must not appear raw: its short escape, else `\\u` and four hex digits.
    private static func appendEscaped(_ value: UInt32, to out: inout [UInt8]) {
        switch value {
        case 0x22: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case 0x5C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        default:
            let hex = Array("0123456789abcdef".utf8)
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u")])
            for shift in [12, 8, 4, 0] { out.append(hex[Int(value >> UInt32(shift) & 0xF)]) }
        }
    }
}
