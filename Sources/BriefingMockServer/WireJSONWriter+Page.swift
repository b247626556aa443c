import BriefingModel
import BriefingProtocol
import NIOCore

extension WireJSONWriter {
    /// A pull page: `{"_briefing":{…},"items":[…],"title":…,"version":…}` with each item's stored JSON
    /// (`article.item_json`, itself written by `WireCoding.encoder()`) spliced behind its own `_briefing`
    /// member (which sorts first: `_` precedes every lowercase key), instead of decoding it and encoding it
    /// again.
    mutating func page(title: String, items: [StoredItem], info: PageInfo) {
        raw("{\"_briefing\":{\"deleted\":[")
        for (index, id) in info.deleted.enumerated() {
            if index > 0 { comma() }
            string(id)
        }
        raw("],\"has_more\":")
        bool(info.hasMore)
        raw(",\"next_token\":")
        string(info.nextToken)
        raw(",\"server_time\":")
        string(info.serverTime.rfc3339)
        raw(",\"states\":[")
        for (index, change) in info.states.enumerated() {
            if index > 0 { comma() }
            stateChange(change)
        }
        raw("]},\"items\":[")
        for (index, item) in items.enumerated() {
            if index > 0 { comma() }
            storedItem(item)
        }
        raw("],\"title\":")
        string(title)
        raw(",\"version\":")
        string(FeedDocument.version1_1)
        raw("}")
    }

    /// One article of a page: `{"_briefing":{…},` then the stored item JSON after its opening brace.
    mutating func storedItem(_ item: StoredItem) {
        raw("{\"_briefing\":{")
        if let read = item.read {
            raw("\"read\":")
            stateRecord(read)
            comma()
        }
        raw("\"revision\":")
        int(item.revision)
        if let starred = item.starred {
            raw(",\"starred\":")
            stateRecord(starred)
        }
        raw("}")
        // The stored JSON is an object with at least `id` in it, so a comma always follows our member.
        var json = item.json
        json.withUTF8 { bytes in
            precondition(bytes.count > 2 && bytes.first == UInt8(ascii: "{"), "stored item JSON is not an object")
            comma()
            raw(UnsafeBufferPointer(rebasing: bytes[1...]))
        }
    }

    /// The bytes written, for a response body.
    var byteBuffer: ByteBuffer { ByteBuffer(bytes: bytes) }
}

/// An article as a pull page serves it: its stored JSON (without `_briefing`), revision and current state.
struct StoredItem: Sendable {
    var json: String
    var revision: Int64
    var read: StateRecord?
    var starred: StateRecord?
}
