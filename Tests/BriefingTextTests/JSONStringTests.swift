import Foundation
import Testing
import BriefingText

struct JSONStringTests {
    /// What a JSON parser reads back from a quoted literal.
    func parsed(_ literal: String) throws -> String {
        try #require(try JSONSerialization.jsonObject(with: Data(literal.utf8), options: [.fragmentsAllowed]) as? String)
    }

    @Test func quotesBackslashesAndC0ControlsAreAlwaysEscaped() throws {
        let text = "say \"hi\"\\ \n\r\t\u{0}\u{1B}[2J\u{7F}"
        let literal = JSONString.quoted(text)
        #expect(literal == #""say \"hi\"\\ \n\r\t\u0000\u001b[2J\u007f""#)
        #expect(try parsed(literal) == text)
    }

    @Test func c1AndBidiControlsAreEscapedOnlyForTerminals() throws {
        let text = "a\u{85}b\u{9B}c\u{202E}d\u{2066}e\u{200F}f\u{061C}g é 日本"
        let plain = JSONString.quoted(text)
        #expect(plain == "\"" + text + "\"")
        let forTerminal = JSONString.quoted(text, escapingTerminalControls: true)
        #expect(forTerminal == #""a\u0085b\u009bc\u202ed\u2066e\u200ff\u061cg é 日本""#)
        #expect(try parsed(forTerminal) == text)
    }

    @Test func everyScalarATerminalCouldActOnIsEscapedForTerminals() {
        for value in UInt32(0)...0x2100 {
            guard let scalar = Unicode.Scalar(value), TerminalText.isUnsafe(scalar) else { continue }
            let literal = JSONString.quoted(String(Character(scalar)), escapingTerminalControls: true)
            #expect(literal.unicodeScalars.allSatisfy { !TerminalText.isUnsafe($0) }, "U+\(String(value, radix: 16)) left raw")
        }
    }

    /// The escaper as it was, scalar by scalar: the reference the run-copying one must match.
    func referenceQuoted(_ text: String, escapingTerminalControls: Bool) -> String {
        var out = "\""
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
        return out + "\""
    }

    @Test func runsAroundEscapesCombiningMarksAndEmojiAreCopiedExactly() throws {
        let pieces = ["plain", "e\u{301}", "\u{301}", "\"", "\\", "\n", "\u{1B}", "\u{85}", "\u{202E}", "日本", "🗞",
                      "👩‍👩‍👧", " ", "", "a\u{0}b", "\u{7F}", "/"]
        // Every piece alone, and every pair and triple of them in order.
        var texts = ["", "\"\"", "x\u{301}\u{301}y"]
        for a in pieces {
            texts.append(a)
            for b in pieces {
                texts.append(a + b)
                for c in pieces { texts.append(a + b + c) }
            }
        }
        for text in texts {
            for terminal in [false, true] {
                let literal = JSONString.quoted(text, escapingTerminalControls: terminal)
                // Byte for byte: String's == would take "e\u{301}" and "é" for equal.
                #expect(Array(literal.utf8) == Array(referenceQuoted(text, escapingTerminalControls: terminal).utf8),
                        "\(text.debugDescription)")
                #expect(try parsed(literal) == text)
            }
        }
    }
}
