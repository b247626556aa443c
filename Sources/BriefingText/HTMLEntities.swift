import Foundation

/// Decodes HTML character references (`&amp;`, `&NotEqualTilde;`, `&#8217;`, `&#x2019;`) for the HTML renderer.
///
/// Call `HTMLEntities.decode(_:at:end:inAttribute:)` at an `&`; it returns the one or two scalars and
/// where the reference ends, or nil when the `&` is just an ampersand. Named references follow the
/// HTML5 rules over the full WHATWG table (`HTMLEntities.generated.swift`, from `Tools/generate-html-entities`):
/// the longest name wins, and the legacy names (`&amp`, `&copy`, `&eacute`…) also match without `;`.
enum HTMLEntities {
    /// The named references, parsed once from `source`: byte ranges of the names in it, and values.
    private struct Table {
        var nameStarts: [Int32] = []
        var nameLengths: [UInt8] = []
        /// First scalar in the low 32 bits, the second (or 0) in the high ones.
        var values: [UInt64] = []
        var longestName = 0
        var longestBareName = 0
    }

    private static let table: Table = {
        var table = Table()
        let bytes = UnsafeBufferPointer(start: source.utf8Start, count: source.utf8CodeUnitCount)
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            var nameEnd = lineStart
            while bytes[nameEnd] != 0x20 { nameEnd += 1 }
            var value: UInt64 = 0
            var shift: UInt64 = 0
            var digit = nameEnd + 1
            while digit <= lineEnd {
                var scalar: UInt64 = 0
                while digit < lineEnd && bytes[digit] != 0x20 {
                    let byte = bytes[digit]
                    scalar = scalar << 4 | UInt64(byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : byte - UInt8(ascii: "A") + 10)
                    digit += 1
                }
                value |= scalar << shift
                shift += 32
                digit += 1
            }
            let length = nameEnd - lineStart
            table.nameStarts.append(Int32(lineStart))
            table.nameLengths.append(UInt8(length))
            table.values.append(value)
            table.longestName = max(table.longestName, length)
            if bytes[nameEnd - 1] != UInt8(ascii: ";") { table.longestBareName = max(table.longestBareName, length) }
            lineStart = lineEnd + 1
        }
        return table
    }()

    /// The index of the name equal to `bytes[start..<start + length]`, by binary search (names are in
    /// byte order).
    private static func find(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int) -> Int? {
        let names = source.utf8Start
        var low = 0, high = table.nameStarts.count
        while low < high {
            let middle = (low + high) / 2
            let nameStart = Int(table.nameStarts[middle]), nameLength = Int(table.nameLengths[middle])
            var order = 0
            for offset in 0..<min(length, nameLength) where bytes[start + offset] != names[nameStart + offset] {
                order = bytes[start + offset] < names[nameStart + offset] ? -1 : 1
                break
            }
            if order == 0 { order = length < nameLength ? -1 : length > nameLength ? 1 : 0 }
            if order == 0 { return middle }
            if order < 0 { high = middle } else { low = middle + 1 }
        }
        return nil
    }

    private static func scalars(at index: Int) -> (Unicode.Scalar, Unicode.Scalar?) {
        let value = table.values[index]
        let second = UInt32(value >> 32)
        return (Unicode.Scalar(UInt32(truncatingIfNeeded: value))!, second == 0 ? nil : Unicode.Scalar(second))
    }

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
    /// A legacy name without `;` decodes in text even when letters follow (`&copy2026` is `©2026`, as
    /// in browsers), but not in an attribute when a letter, digit or `=` follows, so query strings like
    /// `?a=1&copy=2` survive.
    static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, at start: Int, end: Int, inAttribute: Bool
    ) -> (first: Unicode.Scalar, second: Unicode.Scalar?, next: Int)? {
        let nameStart = start + 1
        guard nameStart < end else { return nil }
        if bytes[nameStart] == UInt8(ascii: "#") {
            return decodeNumeric(bytes, from: nameStart + 1, end: end).map { ($0.scalar, nil, $0.next) }
        }
        let table = table
        var i = nameStart
        while i < end, i - nameStart < table.longestName, isAlphanumeric(bytes[i]) { i += 1 }
        guard i > nameStart else { return nil }
        if i < end && bytes[i] == UInt8(ascii: ";"), let index = find(bytes, nameStart, i + 1 - nameStart) {
            let (first, second) = scalars(at: index)
            return (first, second, i + 1)
        }
        // Only names ending in ";" are longer than the legacy ones, so the longest bare match is
        // among the prefixes of at most that length.
        var length = min(i - nameStart, table.longestBareName)
        while length > 0 {
            if let index = find(bytes, nameStart, length) {
                let after = nameStart + length
                if inAttribute && after < end && (bytes[after] == UInt8(ascii: "=") || isAlphanumeric(bytes[after])) {
                    return nil
                }
                let (first, second) = scalars(at: index)
                return (first, second, after)
            }
            length -= 1
        }
        return nil
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
