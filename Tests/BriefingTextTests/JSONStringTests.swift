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
}
