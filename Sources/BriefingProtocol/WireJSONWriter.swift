import BriefingModel

/// Writes the protocol's busiest documents — pull pages (the server's extension), push bodies and push
/// results — straight into UTF-8 bytes, exactly the bytes `WireCoding.encoder()` writes for the same values
/// (sorted keys, slashes unescaped).
///
/// It exists for speed: `JSONEncoder` builds a value tree for every mutation and result, which made
/// encoding a push of 1000 marks ~10 % of the client's and the server's time. Tests compare its output with
/// `JSONEncoder`'s byte for byte, so the wire format stays defined by the `Codable` types of this module.
public struct WireJSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: Documents

    /// `{"mutations":[…]}`.
    public mutating func pushRequest(_ request: PushRequest) {
        raw("{\"mutations\":[")
        for (index, mutation) in request.mutations.enumerated() {
            if index > 0 { comma() }
            self.mutation(mutation)
        }
        raw("]}")
    }

    /// `{"results":[…],"server_time":…}`, each result already written (`mutationResult`).
    public mutating func pushResponse(serverTime: Timestamp, results: [String]) {
        raw("{\"results\":[")
        for (index, result) in results.enumerated() {
            if index > 0 { comma() }
            raw(result)
        }
        raw("],\"server_time\":")
        string(serverTime.rfc3339)
        raw("}")
    }

    // MARK: Values

    public mutating func mutation(_ mutation: Mutation) {
        raw("{\"article_id\":")
        string(mutation.articleID)
        raw(",\"base_rev\":")
        int(mutation.baseRev)
        raw(",\"changed_at\":")
        string(mutation.changedAt.rfc3339)
        raw(",\"device\":")
        string(mutation.device)
        raw(",\"field\":")
        string(mutation.field.rawValue)
        raw(",\"mutation_id\":")
        string(mutation.mutationID)
        if let rule = mutation.rule {
            raw(",\"rule\":")
            string(rule.rawValue)
        }
        raw(",\"value\":")
        bool(mutation.value)
        raw("}")
    }

    public mutating func mutationResult(_ result: MutationResult) {
        raw("{\"article_id\":")
        string(result.articleID)
        if let adjustment = result.clockAdjustedMs {
            raw(",\"clock_adjusted_ms\":")
            int(adjustment)
        }
        raw(",\"field\":")
        string(result.field.rawValue)
        raw(",\"mutation_id\":")
        string(result.mutationID)
        if let rule = result.rule {
            raw(",\"rule\":")
            string(rule.rawValue)
        }
        if let state = result.state {
            raw(",\"state\":")
            stateRecord(state)
        }
        raw(",\"status\":")
        string(result.status.rawValue)
        raw("}")
    }

    public mutating func stateRecord(_ record: StateRecord) {
        raw("{\"changed_at\":")
        string(record.changedAt.rfc3339)
        raw(",\"device\":")
        string(record.device)
        raw(",\"rev\":")
        int(record.rev)
        raw(",\"value\":")
        bool(record.value)
        raw("}")
    }

    public mutating func stateChange(_ change: StateChange) {
        raw("{\"changed_at\":")
        string(change.changedAt.rfc3339)
        raw(",\"device\":")
        string(change.device)
        raw(",\"field\":")
        string(change.field.rawValue)
        raw(",\"id\":")
        string(change.id)
        raw(",\"rev\":")
        int(change.rev)
        raw(",\"value\":")
        bool(change.value)
        raw("}")
    }

    // MARK: Scalars

    public mutating func comma() { bytes.append(UInt8(ascii: ",")) }

    public mutating func bool(_ value: Bool) { raw(value ? "true" : "false") }

    public mutating func int(_ value: Int64) { raw(String(value)) }

    /// Bytes that are already JSON (a literal, or a value written before).
    public mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func raw(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    public mutating func raw(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: utf8)
    }

    /// A JSON string escaped as `JSONEncoder` escapes it: `"` and `\\` with a backslash, the usual short
    /// escapes for backspace, form feed, newline, return and tab, `\\u00XX` for the other control
    /// characters, and everything else (slashes, non-ASCII) as it is.
    public mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                if start < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index])) }
                escape(byte)
                start = index + 1
            }
            if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): raw("\\\"")
        case UInt8(ascii: "\\"): raw("\\\\")
        case 0x08: raw("\\b")
        case 0x0C: raw("\\f")
        case 0x0A: raw("\\n")
        case 0x0D: raw("\\r")
        case 0x09: raw("\\t")
        default:
            let hex = Array("0123456789abcdef".utf8)
            raw("\\u00")
            bytes.append(hex[Int(byte >> 4)])
            bytes.append(hex[Int(byte & 0x0F)])
        }
    }
}
