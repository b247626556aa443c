import BriefingModel
import BriefingProtocol
import NIOCore

/// Writes the server's busiest answers — pull pages and push results — straight into bytes, exactly the
/// bytes `WireCoding.encoder()` writes for the same values (sorted keys, slashes unescaped).
///
/// It exists for speed: a pull page splices each article's stored JSON (`article.item_json`, itself written
/// by `WireCoding.encoder()`) instead of decoding it and encoding it again, and a push of 1000 mutations
/// writes its results without building an encoder's value tree for each. Tests compare its output with
/// `JSONEncoder`'s byte for byte, so the wire format stays defined by the `Codable` types in
/// BriefingProtocol.
struct WireJSONWriter {
    private(set) var buffer: ByteBuffer

    init(capacity: Int = 4096) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    // MARK: Documents

    /// A pull page: `{"_briefing":{…},"items":[…],"title":…,"version":…}` with each item's stored JSON
    /// spliced behind its own `_briefing` member (which sorts first: `_` precedes every lowercase key).
    mutating func page(title: String, items: [StoredItem], info: PageInfo) {
        buffer.writeStaticString("{\"_briefing\":{\"deleted\":[")
        for (index, id) in info.deleted.enumerated() {
            if index > 0 { comma() }
            string(id)
        }
        buffer.writeStaticString("],\"has_more\":")
        bool(info.hasMore)
        buffer.writeStaticString(",\"next_token\":")
        string(info.nextToken)
        buffer.writeStaticString(",\"server_time\":")
        string(info.serverTime.rfc3339)
        buffer.writeStaticString(",\"states\":[")
        for (index, change) in info.states.enumerated() {
            if index > 0 { comma() }
            stateChange(change)
        }
        buffer.writeStaticString("]},\"items\":[")
        for (index, item) in items.enumerated() {
            if index > 0 { comma() }
            storedItem(item)
        }
        buffer.writeStaticString("],\"title\":")
        string(title)
        buffer.writeStaticString(",\"version\":")
        string(FeedDocument.version1_1)
        buffer.writeStaticString("}")
    }

    /// `{"results":[…],"server_time":…}`.
    mutating func pushResponse(serverTime: Timestamp, results: [String]) {
        buffer.writeStaticString("{\"results\":[")
        for (index, result) in results.enumerated() {
            if index > 0 { comma() }
            buffer.writeString(result)
        }
        buffer.writeStaticString("],\"server_time\":")
        string(serverTime.rfc3339)
        buffer.writeStaticString("}")
    }

    // MARK: Values

    /// One article of a page: `{"_briefing":{…},` then the stored item JSON after its opening brace.
    mutating func storedItem(_ item: StoredItem) {
        buffer.writeStaticString("{\"_briefing\":{")
        var needsComma = false
        if let read = item.read {
            buffer.writeStaticString("\"read\":")
            stateRecord(read)
            needsComma = true
        }
        if needsComma { comma() }
        buffer.writeStaticString("\"revision\":")
        int(item.revision)
        if let starred = item.starred {
            buffer.writeStaticString(",\"starred\":")
            stateRecord(starred)
        }
        buffer.writeStaticString("}")
        // The stored JSON is an object with at least `id` in it, so a comma always follows our member.
        var json = item.json
        json.withUTF8 { bytes in
            precondition(bytes.count > 2 && bytes.first == UInt8(ascii: "{"), "stored item JSON is not an object")
            buffer.writeStaticString(",")
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[1...]))
        }
    }

    mutating func stateRecord(_ record: StateRecord) {
        buffer.writeStaticString("{\"changed_at\":")
        string(record.changedAt.rfc3339)
        buffer.writeStaticString(",\"device\":")
        string(record.device)
        buffer.writeStaticString(",\"rev\":")
        int(record.rev)
        buffer.writeStaticString(",\"value\":")
        bool(record.value)
        buffer.writeStaticString("}")
    }

    mutating func stateChange(_ change: StateChange) {
        buffer.writeStaticString("{\"changed_at\":")
        string(change.changedAt.rfc3339)
        buffer.writeStaticString(",\"device\":")
        string(change.device)
        buffer.writeStaticString(",\"field\":")
        string(change.field.rawValue)
        buffer.writeStaticString(",\"id\":")
        string(change.id)
        buffer.writeStaticString(",\"rev\":")
        int(change.rev)
        buffer.writeStaticString(",\"value\":")
        bool(change.value)
        buffer.writeStaticString("}")
    }

    mutating func mutationResult(_ result: MutationResult) {
        buffer.writeStaticString("{\"article_id\":")
        string(result.articleID)
        if let adjustment = result.clockAdjustedMs {
            buffer.writeStaticString(",\"clock_adjusted_ms\":")
            int(adjustment)
        }
        buffer.writeStaticString(",\"field\":")
        string(result.field.rawValue)
        buffer.writeStaticString(",\"mutation_id\":")
        string(result.mutationID)
        if let rule = result.rule {
            buffer.writeStaticString(",\"rule\":")
            string(rule.rawValue)
        }
        if let state = result.state {
            buffer.writeStaticString(",\"state\":")
            stateRecord(state)
        }
        buffer.writeStaticString(",\"status\":")
        string(result.status.rawValue)
        buffer.writeStaticString("}")
    }

    // MARK: Scalars

    mutating func comma() { buffer.writeStaticString(",") }

    mutating func bool(_ value: Bool) { buffer.writeStaticString(value ? "true" : "false") }

    mutating func int(_ value: Int64) { buffer.writeString(String(value)) }

    /// A JSON string escaped as `JSONEncoder` escapes it: `"` and `\` with a backslash, the usual short
    /// escapes for backspace, form feed, newline, return and tab, `\u00XX` for the other control
    /// characters, and everything else (slashes, non-ASCII) as it is.
    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            buffer.writeStaticString("\"")
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                if start < index {
                    buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<index]))
                }
                escape(byte)
                start = index + 1
            }
            if start < bytes.count {
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start...]))
            }
            buffer.writeStaticString("\"")
        }
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
        case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
        case 0x08: buffer.writeStaticString("\\b")
        case 0x0C: buffer.writeStaticString("\\f")
        case 0x0A: buffer.writeStaticString("\\n")
        case 0x0D: buffer.writeStaticString("\\r")
        case 0x09: buffer.writeStaticString("\\t")
        default:
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            buffer.writeStaticString("\\u00")
            buffer.writeInteger(hex[Int(byte >> 4)])
            buffer.writeInteger(hex[Int(byte & 0x0F)])
        }
    }
}

/// An article as a pull page serves it: its stored JSON (without `_briefing`), revision and current state.
struct StoredItem: Sendable {
    var json: String
    var revision: Int64
    var read: StateRecord?
    var starred: StateRecord?
}
