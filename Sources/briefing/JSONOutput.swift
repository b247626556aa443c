import BriefingModel
import BriefingText

/// A JSON value for `--json` output, written with keys in the order given (the order README documents) and
/// with every character a terminal could act on escaped — C0/C1 controls, DEL and bidi controls become
/// `\uXXXX` (`JSONString` with `escapingTerminalControls`).
enum JSON {
    case null
    case bool(Bool)
    case int(Int64)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    static func int(_ value: Int) -> JSON { .int(Int64(value)) }
    static func optional(_ value: String?) -> JSON { value.map(JSON.string) ?? .null }
    static func time(_ value: Timestamp?) -> JSON { value.map { .string($0.rfc3339) } ?? .null }

    var encoded: String { String(decoding: bytes(indent: 0), as: UTF8.self) }

    /// The value on one line with no spaces: for JSON Lines output (`sync --trace`).
    var line: String { String(decoding: bytes(indent: nil), as: UTF8.self) }

    /// The value in UTF-8, indented (`indent` 0) or on one line (nil). Written as bytes: `search --json`
    /// prints hundreds of objects, and appending to a `String` piece by piece was half its instructions.
    func bytes(indent: Int?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(to: &out, indent: indent)
        return out
    }

    private func write(to out: inout [UInt8], indent: Int?) {
        guard let indent else { return writeCompact(to: &out) }
        switch self {
        case .null, .bool, .int, .number, .string: writeCompact(to: &out)
        case .array(let values):
            if values.isEmpty { return out.append(contentsOf: "[]".utf8) }
            out.append(contentsOf: "[\n".utf8)
            for (index, value) in values.enumerated() {
                Self.pad(&out, indent + 1)
                value.write(to: &out, indent: indent + 1)
                out.append(contentsOf: (index == values.count - 1 ? "\n" : ",\n").utf8)
            }
            Self.pad(&out, indent)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty { return out.append(contentsOf: "{}".utf8) }
            out.append(contentsOf: "{\n".utf8)
            for (index, (key, value)) in members.enumerated() {
                Self.pad(&out, indent + 1)
                JSONString.append(key, to: &out, escapingTerminalControls: true)
                out.append(contentsOf: ": ".utf8)
                value.write(to: &out, indent: indent + 1)
                out.append(contentsOf: (index == members.count - 1 ? "\n" : ",\n").utf8)
            }
            Self.pad(&out, indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func pad(_ out: inout [UInt8], _ indent: Int) {
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
    }

    private func writeCompact(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): out.append(contentsOf: String(value).utf8)
        case .number(let value): out.append(contentsOf: (value.isFinite ? String(value) : "null").utf8)
        case .string(let value): JSONString.append(value, to: &out, escapingTerminalControls: true)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.writeCompact(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONString.append(key, to: &out, escapingTerminalControls: true)
                out.append(UInt8(ascii: ":"))
                value.writeCompact(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
