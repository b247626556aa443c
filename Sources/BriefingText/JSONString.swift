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
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F
                || escapingTerminalControls && TerminalText.isUnsafe(scalar):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
