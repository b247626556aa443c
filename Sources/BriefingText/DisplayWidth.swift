/// How many columns text takes on a terminal, as `wcwidth` counts them.
///
/// `DisplayWidth.of("漢字")` is 4: East Asian wide and fullwidth characters and emoji take two columns,
/// combining marks and zero-width characters none, everything else one. The table behind it is
/// generated from the Unicode Character Database by `Tools/generate-display-width`. Counting is per
/// code point, so an emoji sequence joined by U+200D counts each of its emoji.
public enum DisplayWidth {
    /// The columns `scalar` takes: 0, 1 or 2.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        kind(scalar.value).columns
    }

    /// The columns `text` takes on one line.
    public static func of(_ text: String) -> Int {
        var total = 0
        for scalar in text.unicodeScalars { total += of(scalar) }
        return total
    }

    /// What the wrapper needs to know about a code point: its width, and for wide characters (which
    /// are break opportunities, CJK text having no spaces) whether a line may start or end there.
    enum Kind: UInt8 {
        case zero = 0, one, wide, wideNoBreakBefore, wideNoBreakAfter

        var columns: Int {
            switch self {
            case .zero: return 0
            case .one: return 1
            case .wide, .wideNoBreakBefore, .wideNoBreakAfter: return 2
            }
        }
    }

    static func kind(_ value: UInt32) -> Kind {
        if value < 0x300 { return .one }
        if value < 0x1_0000 { return Kind(rawValue: basicPlane[Int(value)])! }
        // The last run starting at or before `value`.
        var low = 0, high = runs.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if runs[middle] >> 3 <= value { low = middle } else { high = middle }
        }
        return Kind(rawValue: UInt8(runs[low] & 7)) ?? .one
    }

    /// The Basic Multilingual Plane expanded, one byte per code point, so most lookups are one load.
    private static let basicPlane: [UInt8] = {
        var table = [UInt8](repeating: Kind.one.rawValue, count: 0x1_0000)
        for (index, run) in runs.enumerated() {
            let first = Int(run >> 3)
            guard first < 0x1_0000 else { break }
            let end = index + 1 < runs.count ? min(Int(runs[index + 1] >> 3), 0x1_0000) : 0x1_0000
            for value in first..<end { table[value] = UInt8(run & 7) }
        }
        return table
    }()
}
