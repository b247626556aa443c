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
    ///
    /// Runs of scalars that need no escape are copied whole, as UTF-8; only the others are written one by
    /// one. Appending every scalar on its own was most of the instructions of `briefing search --json`.
    public static func append(_ text: String, to out: inout String, escapingTerminalControls: Bool = false) {
        out += "\""
        let scalars = text.unicodeScalars
        var runStart = scalars.startIndex
        var index = runStart
        while index != scalars.endIndex {
            let scalar = scalars[index]
            let value = scalar.value
            let escaped = value < 0x20 || value == 0x22 || value == 0x5C || value == 0x7F
                || escapingTerminalControls && TerminalText.isUnsafe(scalar)
            if !escaped {
                index = scalars.index(after: index)
                continue
            }
            out += String(decoding: text.utf8[runStart..<index], as: UTF8.self)
            appendEscaped(scalar, to: &out)
            index = scalars.index(after: index)
            runStart = index
        }
        out += String(decoding: text.utf8[runStart..<index], as: UTF8.self)
        out += "\""
    }

    /// One scalar that must not appear raw: its short escape, else `\\u` and four hex digits.
    private static func appendEscaped(_ scalar: Unicode.Scalar, to out: inout String) {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }
}
