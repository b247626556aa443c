import Foundation

/// Decodes HTML character references (`&amp;`, `&#8217;`, `&#x2019;`) for the HTML renderer.
///
/// Call `HTMLEntities.decode(_:at:end:inAttribute:)` at an `&`; it returns the scalar and where the
/// reference ends, or nil when the `&` is just an ampersand.
enum HTMLEntities {
    /// The named references news HTML uses in practice, not all 2,231 of HTML5: these cover Latin
    /// letters, typographic punctuation, currency, common symbols and Greek.
    static let named: [(String, UInt32)] = [
        ("amp", 0x0026), ("lt", 0x003C), ("gt", 0x003E), ("quot", 0x0022), ("apos", 0x0027),
        ("nbsp", 0x00A0), ("ensp", 0x2002), ("emsp", 0x2003), ("thinsp", 0x2009), ("zwnj", 0x200C),
        ("zwj", 0x200D), ("lrm", 0x200E), ("rlm", 0x200F), ("shy", 0x00AD), ("ndash", 0x2013),
        ("mdash", 0x2014), ("hellip", 0x2026), ("lsquo", 0x2018), ("rsquo", 0x2019), ("sbquo", 0x201A),
        ("ldquo", 0x201C), ("rdquo", 0x201D), ("bdquo", 0x201E), ("laquo", 0x00AB), ("raquo", 0x00BB),
        ("lsaquo", 0x2039), ("rsaquo", 0x203A), ("prime", 0x2032), ("Prime", 0x2033), ("bull", 0x2022),
        ("middot", 0x00B7), ("dagger", 0x2020), ("Dagger", 0x2021), ("permil", 0x2030), ("sect", 0x00A7),
        ("para", 0x00B6), ("deg", 0x00B0), ("plusmn", 0x00B1), ("times", 0x00D7), ("divide", 0x00F7),
        ("minus", 0x2212), ("frac12", 0x00BD), ("frac14", 0x00BC), ("frac34", 0x00BE), ("sup1", 0x00B9),
        ("sup2", 0x00B2), ("sup3", 0x00B3), ("micro", 0x00B5), ("iexcl", 0x00A1), ("iquest", 0x00BF),
        ("cent", 0x00A2), ("pound", 0x00A3), ("yen", 0x00A5), ("euro", 0x20AC), ("curren", 0x00A4),
        ("copy", 0x00A9), ("reg", 0x00AE), ("trade", 0x2122), ("ordf", 0x00AA), ("ordm", 0x00BA),
        ("not", 0x00AC), ("macr", 0x00AF), ("acute", 0x00B4), ("cedil", 0x00B8), ("uml", 0x00A8),
        ("brvbar", 0x00A6), ("oline", 0x203E), ("frasl", 0x2044), ("circ", 0x02C6), ("tilde", 0x02DC),
        ("fnof", 0x0192), ("larr", 0x2190), ("rarr", 0x2192), ("uarr", 0x2191), ("darr", 0x2193),
        ("harr", 0x2194), ("le", 0x2264), ("ge", 0x2265), ("ne", 0x2260), ("asymp", 0x2248),
        ("infin", 0x221E), ("sum", 0x2211), ("prod", 0x220F), ("radic", 0x221A), ("Agrave", 0x00C0),
        ("Aacute", 0x00C1), ("Acirc", 0x00C2), ("Atilde", 0x00C3), ("Auml", 0x00C4), ("Aring", 0x00C5),
        ("AElig", 0x00C6), ("Ccedil", 0x00C7), ("Egrave", 0x00C8), ("Eacute", 0x00C9), ("Ecirc", 0x00CA),
        ("Euml", 0x00CB), ("Igrave", 0x00CC), ("Iacute", 0x00CD), ("Icirc", 0x00CE), ("Iuml", 0x00CF),
        ("ETH", 0x00D0), ("Ntilde", 0x00D1), ("Ograve", 0x00D2), ("Oacute", 0x00D3), ("Ocirc", 0x00D4),
        ("Otilde", 0x00D5), ("Ouml", 0x00D6), ("Oslash", 0x00D8), ("Ugrave", 0x00D9), ("Uacute", 0x00DA),
        ("Ucirc", 0x00DB), ("Uuml", 0x00DC), ("Yacute", 0x00DD), ("THORN", 0x00DE), ("szlig", 0x00DF),
        ("agrave", 0x00E0), ("aacute", 0x00E1), ("acirc", 0x00E2), ("atilde", 0x00E3), ("auml", 0x00E4),
        ("aring", 0x00E5), ("aelig", 0x00E6), ("ccedil", 0x00E7), ("egrave", 0x00E8), ("eacute", 0x00E9),
        ("ecirc", 0x00EA), ("euml", 0x00EB), ("igrave", 0x00EC), ("iacute", 0x00ED), ("icirc", 0x00EE),
        ("iuml", 0x00EF), ("eth", 0x00F0), ("ntilde", 0x00F1), ("ograve", 0x00F2), ("oacute", 0x00F3),
        ("ocirc", 0x00F4), ("otilde", 0x00F5), ("ouml", 0x00F6), ("oslash", 0x00F8), ("ugrave", 0x00F9),
        ("uacute", 0x00FA), ("ucirc", 0x00FB), ("uuml", 0x00FC), ("yacute", 0x00FD), ("thorn", 0x00FE),
        ("yuml", 0x00FF), ("OElig", 0x0152), ("oelig", 0x0153), ("Scaron", 0x0160), ("scaron", 0x0161),
        ("Yuml", 0x0178), ("Alpha", 0x0391), ("Beta", 0x0392), ("Gamma", 0x0393), ("Delta", 0x0394),
        ("Epsilon", 0x0395), ("Zeta", 0x0396), ("Eta", 0x0397), ("Theta", 0x0398), ("Iota", 0x0399),
        ("Kappa", 0x039A), ("Lambda", 0x039B), ("Mu", 0x039C), ("Nu", 0x039D), ("Xi", 0x039E),
        ("Omicron", 0x039F), ("Pi", 0x03A0), ("Rho", 0x03A1), ("Sigma", 0x03A3), ("Tau", 0x03A4),
        ("Upsilon", 0x03A5), ("Phi", 0x03A6), ("Chi", 0x03A7), ("Psi", 0x03A8), ("Omega", 0x03A9),
        ("alpha", 0x03B1), ("beta", 0x03B2), ("gamma", 0x03B3), ("delta", 0x03B4), ("epsilon", 0x03B5),
        ("zeta", 0x03B6), ("eta", 0x03B7), ("theta", 0x03B8), ("iota", 0x03B9), ("kappa", 0x03BA),
        ("lambda", 0x03BB), ("mu", 0x03BC), ("nu", 0x03BD), ("xi", 0x03BE), ("omicron", 0x03BF),
        ("pi", 0x03C0), ("rho", 0x03C1), ("sigmaf", 0x03C2), ("sigma", 0x03C3), ("tau", 0x03C4),
        ("upsilon", 0x03C5), ("phi", 0x03C6), ("chi", 0x03C7), ("psi", 0x03C8), ("omega", 0x03C9),
    ]

    /// Names are at most 8 bytes, so a name packs into one UInt64 key and lookup needs no String.
    private static let table: [UInt64: Unicode.Scalar] = {
        var table: [UInt64: Unicode.Scalar] = [:]
        for (name, value) in named {
            var key: UInt64 = 0
            for byte in name.utf8 { key = key << 8 | UInt64(byte) }
            table[key] = Unicode.Scalar(value)!
        }
        return table
    }()

    /// Legacy references browsers accept without a semicolon ("AT&amp T" in old feeds).
    private static let withoutSemicolon: Set<UInt64> = {
        var keys = Set<UInt64>()
        for name in ["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"] {
            var key: UInt64 = 0
            for byte in name.utf8 { key = key << 8 | UInt64(byte) }
            keys.insert(key)
        }
        return keys
    }()

    /// What browsers show for the C1 range in numeric references: Windows-1252, because that is what
    /// the authors of `&#146;` meant. The five holes of Windows-1252 become U+FFFD.
    private static let windows1252: [UInt32] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    /// Decodes the reference whose `&` is at `start`; `end` bounds the text it may use.
    ///
    /// In attributes a reference without `;` is left alone, as browsers do, so query strings like
    /// `?a=1&copy=2` survive.
    static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, at start: Int, end: Int, inAttribute: Bool
    ) -> (scalar: Unicode.Scalar, next: Int)? {
        var i = start + 1
        guard i < end else { return nil }
        if bytes[i] == UInt8(ascii: "#") {
            return decodeNumeric(bytes, from: i + 1, end: end)
        }
        var key: UInt64 = 0
        let nameStart = i
        while i < end, i - nameStart <= 8, isAlphanumeric(bytes[i]) {
            key = key << 8 | UInt64(bytes[i])
            i += 1
        }
        let length = i - nameStart
        guard length > 0, length <= 8, let scalar = table[key] else { return nil }
        if i < end && bytes[i] == UInt8(ascii: ";") {
            return (scalar, i + 1)
        }
        if inAttribute || !withoutSemicolon.contains(key) { return nil }
        if i < end && isAlphanumeric(bytes[i]) { return nil }
        return (scalar, i)
    }

    private static func decodeNumeric(
        _ bytes: UnsafeBufferPointer<UInt8>, from: Int, end: Int
    ) -> (scalar: Unicode.Scalar, next: Int)? {
        var i = from
        var hex = false
        if i < end && (bytes[i] == UInt8(ascii: "x") || bytes[i] == UInt8(ascii: "X")) {
            hex = true
            i += 1
        }
        let digitsStart = i
        var value: UInt32 = 0
        while i < end {
            let digit: UInt32
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: digit = 16
            }
            if digit == 16 { break }
            // Saturate instead of overflowing: any value past U+10FFFF is invalid the same way.
            value = min(value * (hex ? 16 : 10) + digit, 0x110000)
            i += 1
        }
        guard i > digitsStart else { return nil }
        if i < end && bytes[i] == UInt8(ascii: ";") { i += 1 }
        return (scalar(forReference: value), i)
    }

    /// Never yields a control character other than tab and newline: the renderer promises not to
    /// emit ESC, and a stray CR would overwrite the line on a terminal.
    static func scalar(forReference value: UInt32) -> Unicode.Scalar {
        switch value {
        case 0x09, 0x0A: return Unicode.Scalar(value)!
        case 0x0D: return "\n"
        case 0x0C: return " "
        case 0x80...0x9F: return Unicode.Scalar(windows1252[Int(value - 0x80)])!
        case 0x00..<0x20, 0x7F: return "\u{FFFD}"
        default: return Unicode.Scalar(value) ?? "\u{FFFD}"  // nil for surrogates and > U+10FFFF
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
