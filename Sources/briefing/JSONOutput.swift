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

    var encoded: String {
        var out = ""
        write(to: &out, indent: 0)
        return out
    }

    /// The value on one line with no spaces: for JSON Lines output (`sync --trace`).
    var line: String {
        var out = ""
        write(to: &out, indent: nil)
        return out
    }

    private func write(to out: inout String, indent: Int?) {
        guard let indent else { return writeCompact(to: &out) }
        switch self {
        case .null, .bool, .int, .number, .string: writeCompact(to: &out)
        case .array(let values):
            if values.isEmpty { out += "[]"; return }
            out += "[\n"
            for (index, value) in values.enumerated() {
                out += String(repeating: "  ", count: indent + 1)
                value.write(to: &out, indent: indent + 1)
                out += index == values.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: indent) + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{\n"
            for (index, (key, value)) in members.enumerated() {
                out += String(repeating: "  ", count: indent + 1)
                JSONString.append(key, to: &out, escapingTerminalControls: true)
                out += ": "
                value.write(to: &out, indent: indent + 1)
                out += index == members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: indent) + "}"
        }
    }

    private func writeCompact(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .number(let value): out += value.isFinite ? String(value) : "null"
        case .string(let value): JSONString.append(value, to: &out, escapingTerminalControls: true)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.writeCompact(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out += "," }
                JSONString.append(key, to: &out, escapingTerminalControls: true)
                out += ":"
                value.writeCompact(to: &out)
            }
            out += "}"
        }
    }
}
