import Foundation
import BriefingModel

/// A fast reader of the protocol's well-formed documents — JSON Feed pages and the bodies of a push and its
/// answer: bytes to the `Codable` values, exactly as `JSONDecoder` would read them, or nil. It reads; it
/// neither validates nor explains — `PageDecoder` (and, for pushes, `JSONDecoder` itself) does both.
///
/// Foundation's `JSONDecoder` reads about 70 MB/s on this hardware, which made decoding a large share of a
/// full sync. This reader walks the UTF-8 bytes once and builds the Codable values directly. It is only an
/// accelerator: on anything it is not sure about (a type it does not expect, a duplicate member, a number
/// that is not a plain integer, a lone surrogate, invalid UTF-8, an unparseable timestamp) it returns nil,
/// and the caller decodes with `JSONDecoder`, which then accepts or explains the document as always.
/// A push of 1000 marks is ~250 KB each way; `JSONDecoder` took ~20 ms per body on each side.
public enum FastWireReader {
    /// The document `data` holds, or nil when this reader is not sure (then ask `JSONDecoder`).
    public static func document(from data: Data) -> FeedDocument? {
        read(data) { (reader: inout JSONReader) throws(NotFast) in try reader.feedDocument() }
    }

    /// One well-formed JSON Feed item (a plain feed's items are decoded one at a time), or nil when this
    /// reader is not sure: then `PlainFeedItems` reads it leniently.
    public static func item(from data: Data) -> FeedItem? {
        read(data) { (reader: inout JSONReader) throws(NotFast) in try reader.feedItem() }
    }

    /// A push body, or nil when this reader is not sure (then ask `JSONDecoder`, which explains).
    public static func pushRequest(from data: Data) -> PushRequest? {
        read(data) { (reader: inout JSONReader) throws(NotFast) in try reader.pushRequest() }
    }

    /// A push's answer, or nil when this reader is not sure (then ask `JSONDecoder`).
    public static func pushResponse(from data: Data) -> PushResponse? {
        read(data) { (reader: inout JSONReader) throws(NotFast) in try reader.pushResponse() }
    }

    /// A JSON array of strings (the tags a store keeps with each article), or nil when this reader is not
    /// sure. `list` and `search` read one per row they print.
    public static func strings(in json: String) -> [String]? {
        var json = json
        return json.withUTF8 { bytes -> [String]? in
            var reader = JSONReader(bytes)
            guard let strings = try? reader.array({ (r: inout JSONReader) throws(NotFast) in try r.string() }),
                  reader.atEnd() else { return nil }
            return strings
        }
    }

    /// The whole of `data` read by `value`, or nil.
    private static func read<T>(_ data: Data, _ value: (inout JSONReader) throws(NotFast) -> T) -> T? {
        data.withUnsafeBytes { raw -> T? in
            var reader = JSONReader(raw.bindMemory(to: UInt8.self))
            guard let result = try? value(&reader), reader.atEnd() else { return nil }
            return result
        }
    }

    /// A page's `_briefing.next_token` and `has_more` without decoding its items, so the next request can
    /// leave before this page is decoded. nil when the document is not well-formed up to `_briefing` or
    /// has none; the full decoding stays the authority on what the page says.
    public static func pageLink(from data: Data) -> (nextToken: String, hasMore: Bool)? {
        data.withUnsafeBytes { raw -> (nextToken: String, hasMore: Bool)? in
            var reader = JSONReader(raw.bindMemory(to: UInt8.self))
            var link: (nextToken: String, hasMore: Bool)?
            do {
                try reader.object { (key: String, reader: inout JSONReader) throws(NotFast) in
                    if key == "_briefing" {
                        link = try reader.pageLink()
                        throw NotFast()  // found: the rest of the document is not needed
                    }
                    try reader.skipValue()
                }
            } catch {}
            return link
        }
    }
}

/// Anything the fast reader does not handle; the caller falls back to `JSONDecoder`.
private struct NotFast: Error {}

private struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    /// Objects and arrays open around the current position. The reader recurses per level, so a hostile
    /// page of 100,000 nested brackets would overflow the stack; past this depth it hands the document to
    /// `JSONDecoder`, which refuses it.
    var depth = 0
    static let maxDepth = 64

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    // MARK: Feed values

    mutating func feedDocument() throws(NotFast) -> FeedDocument {
        var version: String?, title: String?, items: [FeedItem]?
        var homePageURL: String?, feedURL: String?, nextURL: String?, description: String?
        var briefing: PageInfo?
        var seen = Set<String>()
        try object { (key: String, reader: inout JSONReader) throws(NotFast) in
            guard seen.insert(key).inserted else { throw NotFast() }
            switch key {
            case "version": version = try reader.string()
            case "title": title = try reader.string()
            case "home_page_url": homePageURL = try reader.optionalString()
            case "feed_url": feedURL = try reader.optionalString()
            case "next_url": nextURL = try reader.optionalString()
            case "description": description = try reader.optionalString()
            case "items": items = try reader.array { (r: inout JSONReader) throws(NotFast) in try r.feedItem() }
            case "_briefing": briefing = try reader.optional { (r: inout JSONReader) throws(NotFast) in try r.pageInfo() }
            default: try reader.skipValue()
            }
        }
        guard let version, let title, let items else { throw NotFast() }
        var document = FeedDocument(title: title, homePageURL: homePageURL, feedURL: feedURL, nextURL: nextURL,
                                    description: description, items: items, briefing: briefing)
        document.version = version
        return document
    }

    mutating func feedItem() throws(NotFast) -> FeedItem {
        var id: String?
        var item = FeedItem(id: "")
        var seen = Set<String>()
        try object { (key: String, reader: inout JSONReader) throws(NotFast) in
            guard seen.insert(key).inserted else { throw NotFast() }
            switch key {
            case "id": id = try reader.string()
            case "url": item.url = try reader.optionalString()
            case "external_url": item.externalURL = try reader.optionalString()
            case "title": item.title = try reader.optionalString()
            case "content_html": item.contentHTML = try reader.optionalString()
            case "content_text": item.contentText = try reader.optionalString()
            case "summary": item.summary = try reader.optionalString()
            case "image": item.image = try reader.optionalString()
            case "banner_image": item.bannerImage = try reader.optionalString()
            case "date_published": item.datePublished = try reader.optionalString()
            case "date_modified": item.dateModified = try reader.optionalString()
            case "language": item.language = try reader.optionalString()
            case "tags": item.tags = try reader.optional { (r: inout JSONReader) throws(NotFast) in
                    try r.array { (r: inout JSONReader) throws(NotFast) in try r.string() }
                }
            case "authors": item.authors = try reader.optional { (r: inout JSONReader) throws(NotFast) in
                    try r.array { (r: inout JSONReader) throws(NotFast) in try r.author() }
                }
            case "author": item.author = try reader.optional { (r: inout JSONReader) throws(NotFast) in try r.author() }
            case "_briefing": item.briefing = try reader.optional { (r: inout JSONReader) throws(NotFast) in try r.itemInfo() }
            default: try reader.skipValue()
            }
        }
        guard let id else { throw NotFast() }
        item.id = id
        return item
    }

    mutating func author() throws(NotFast) -> Author {
        var author = Author()
        var seen = Set<String>()
        try object { (key: String, reader: inout JSONReader) throws(NotFast) in
            guard seen.insert(key).inserted else { throw NotFast() }
            switch key {
            case "name": author.name = try reader.optionalString()
            case "url": author.url = try reader.optionalString()
            case "avatar": author.avatar = try reader.optionalString()
            default: try reader.skipValue()
            }
        }
        return author
    }

    mutating func itemInfo() throws(NotFast) -> ItemInfo {
        var revision: Int64?, read: StateRecord?, starred: StateRecord?
        var seen = Set<String>()
        try object { (key: String, reader: inout JSONReader) throws(NotFast) in
            guard seen.insert(key).inserted else { throw NotFast() }
            switch key {
            case "revision": revision = try reader.int64()
            case "read": read = try reader.optional { (r: inout JSONReader) throws(NotFast) in try r.stateRecord() }
            case "starred": starred = try reader.optional { (r: inout JSONReader) throws(NotFast) in try r.stateRecord() }
            default: try reader.skipValue()
            }
        }
        guard let revision else { throw NotFast() }
        return ItemInfo(revision: revision, read: read, starred: starred)
    }

    mutating func stateRecord() throws(NotFast) -> StateRecord {
        let (id, field, record) = try stateMembers(withID: false)
        guard id == nil, field == nil else { throw NotFast() }
        return record
    }

    mutating func stateChange() throws(NotFast) -> StateChange {
        let (id, field, record) = try stateMembers(withID: true)
        guard let id, let field else { throw NotFast() }
        return StateChange(id: id, field: field, record: record)
    }

    /// A state record's members; `id` and `field` only where the type has them (else they are unknown
    /// members, skipped as `JSONDecoder` skips them).
    mutating func stateMembers(withID: Bool) throws(NotFast) -> (String?, StateField?, StateRecord) {
        var id: String?, field: StateField?, value: Bool?, changedAt: Timestamp?, device: String?, rev: Int64?
        var seen = Set<String>()
        try object { (key: String, reader: inout JSONReader) throws(NotFast) in
            guard seen.insert(key).inserted else { throw NotFast() }
            switch key {
            case "id" where withID: id = try reader.string()
            case "field" where withID: field = try reader.stateField()
            case "value": value = try reader.bool()
            case "changed_at": changedAt = try reader.timestamp()
            case "device": device = try reader.string()
            case "rev": rev = try reader.int64()
            default: try reader.skipValue()
            }
        }
        guard let value, let changedAt, let device, let rev else { throw NotFast() }
        return (id, field, StateRecord(value: value, changedAt: changedAt, device: device, rev: rev))
    }

    mutating func pageInfo() throws(NotFast) -> PageInfo {
        var nextToken: String?, hasMore: Bool?, serverTime: Timestamp?, deleted: [String]?, states: [StateChange]?
        var seen = Set<String>()
        try object { (key: String, reader: inout JSONReader) throws(NotFast) in
            guard seen.insert(key).inserted else { throw NotFast() }
            switch key {
            case "next_token": nextToken = try reader.string()
            case "has_more": hasMore = try reader.bool()
            case "server_time": serverTime = try reader.timestamp()
            case "deleted": deleted = try reader.array { (r: inout JSONReader) throws(NotFast) in try r.string() }
            case "states": states = try reader.array { (r: inout JSONReader) throws(NotFast) in try r.stateChange() }
            default: try reader.skipValue()
            }
        }
        guard let nextToken, let hasMore, let serverTime, let deleted, let states else { throw NotFast() }
        return PageInfo(nextToken: nextToken, hasMore: hasMore, serverTime: serverTime, deleted: deleted, states: states)
    }

    // MARK: Push values

    mutating func pushRequest() throws(NotFast) -> PushRequest {
        var mutations: [Mutation]?
        var seen = Set<String>()
        try object { (key: String, reader: inout JSONReader) throws(NotFast) in
            guard seen.insert(key).inserted else { throw NotFast() }
            switch key {
            case "mutations": mutations = try reader.array { (r: inout JSONReader) throws(NotFast) in try r.mutation() }
            default: try reader.skipValue()
            }
        }
        guard let mutations else { throw NotFast() }
        return PushRequest(mutations: mutations)
    }

    mutating func mutation() throws(NotFast) -> Mutation {
        var mutationID: String?, articleID: String?, field: StateField?, value: Bool?, changedAt: Timestamp?
        var device: String?, baseRev: Int64?, rule: ConflictRule?
        var seen = Set<String>()
        try object { (key: String, reader: inout JSONReader) throws(NotFast) in
            guard seen.insert(key).inserted else { throw NotFast() }
            switch key {
            case "mutation_id": mutationID = try reader.string()
            case "article_id": articleID = try reader.string()
            case "field": field = try reader.stateField()
            case "value": value = try reader.bool()
            case "changed_at": changedAt = try reader.timestamp()
            case "device": device = try reader.string()
            case "base_rev": baseRev = try reader.int64()
            case "rule": rule = try reader.optional { (r: inout JSONReader) throws(NotFast) in try r.conflictRule() }
            default: try reader.skipValue()
            }
        }
        guard let mutationID, let articleID, let field, let value, let changedAt, let device, let baseRev else {
            throw NotFast()
        }
        return Mutation(mutationID: mutationID, articleID: articleID, field: field, value: value, changedAt: changedAt,
                        device: device, baseRev: baseRev, rule: rule)
    }

    mutating func pushResponse() throws(NotFast) -> PushResponse {
        var serverTime: Timestamp?, results: [MutationResult]?
        var seen = Set<String>()
        try object { (key: String, reader: inout JSONReader) throws(NotFast) in
            guard seen.insert(key).inserted else { throw NotFast() }
            switch key {
            case "server_time": serverTime = try reader.timestamp()
            case "results": results = try reader.array { (r: inout JSONReader) throws(NotFast) in try r.mutationResult() }
            default: try reader.skipValue()
            }
        }
        guard let serverTime, let results else { throw NotFast() }
        return PushResponse(serverTime: serverTime, results: results)
    }

    mutating func mutationResult() throws(NotFast) -> MutationResult {
        var mutationID: String?, articleID: String?, field: StateField?, status: MutationStatus?
        var state: StateRecord?, rule: ConflictRule?, clockAdjustedMs: Int64?
        var seen = Set<String>()
        try object { (key: String, reader: inout JSONReader) throws(NotFast) in
            guard seen.insert(key).inserted else { throw NotFast() }
            switch key {
            case "mutation_id": mutationID = try reader.string()
            case "article_id": articleID = try reader.string()
            case "field": field = try reader.stateField()
            case "status":
                guard let parsed = MutationStatus(rawValue: try reader.string()) else { throw NotFast() }
                status = parsed
            case "state": state = try reader.optional { (r: inout JSONReader) throws(NotFast) in try r.stateRecord() }
            case "rule": rule = try reader.optional { (r: inout JSONReader) throws(NotFast) in try r.conflictRule() }
            case "clock_adjusted_ms":
                clockAdjustedMs = try reader.optional { (r: inout JSONReader) throws(NotFast) in try r.int64() }
            default: try reader.skipValue()
            }
        }
        guard let mutationID, let articleID, let field, let status else { throw NotFast() }
        return MutationResult(mutationID: mutationID, articleID: articleID, field: field, status: status,
                              state: state, rule: rule, clockAdjustedMs: clockAdjustedMs)
    }

    mutating func stateField() throws(NotFast) -> StateField {
        guard let field = StateField(rawValue: try string()) else { throw NotFast() }
        return field
    }

    mutating func conflictRule() throws(NotFast) -> ConflictRule {
        guard let rule = ConflictRule(rawValue: try string()) else { throw NotFast() }
        return rule
    }

    /// `_briefing`'s token and `has_more`, skipping its states and tombstones (a page of 1000 state changes
    /// would otherwise be read twice: here and by the full decoding).
    mutating func pageLink() throws(NotFast) -> (nextToken: String, hasMore: Bool) {
        var nextToken: String?, hasMore: Bool?
        try object { (key: String, reader: inout JSONReader) throws(NotFast) in
            switch key {
            case "next_token":
                guard nextToken == nil else { throw NotFast() }
                nextToken = try reader.string()
            case "has_more":
                guard hasMore == nil else { throw NotFast() }
                hasMore = try reader.bool()
            default: try reader.skipValue()
            }
        }
        guard let nextToken, let hasMore else { throw NotFast() }
        return (nextToken, hasMore)
    }

    mutating func timestamp() throws(NotFast) -> Timestamp {
        guard let parsed = Timestamp(rfc3339: try string()) else { throw NotFast() }
        return parsed
    }

    // MARK: JSON structure

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    mutating func atEnd() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }

    mutating func peek() throws(NotFast) -> UInt8 {
        skipWhitespace()
        guard index < bytes.count else { throw NotFast() }
        return bytes[index]
    }

    mutating func expect(_ byte: UInt8) throws(NotFast) {
        guard try peek() == byte else { throw NotFast() }
        index += 1
    }

    mutating func literal(_ text: StaticString) throws(NotFast) {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw NotFast() }
        for k in 0..<count where bytes[index + k] != text.utf8Start[k] { throw NotFast() }
        index += count
    }

    /// Calls `member` for each key, positioned at its value; `member` must consume the value.
    mutating func object(_ member: (String, inout JSONReader) throws(NotFast) -> Void) throws(NotFast) {
        try expect(UInt8(ascii: "{"))
        try enter()
        defer { depth -= 1 }
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw NotFast() }
            let key = try string()
            try expect(UInt8(ascii: ":"))
            try member(key, &self)
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return
            default: throw NotFast()
            }
        }
    }

    mutating func array<T>(_ element: (inout JSONReader) throws(NotFast) -> T) throws(NotFast) -> [T] {
        try expect(UInt8(ascii: "["))
        try enter()
        defer { depth -= 1 }
        var result: [T] = []
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return result
        }
        while true {
            result.append(try element(&self))
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return result
            default: throw NotFast()
            }
        }
    }

    mutating func enter() throws(NotFast) {
        depth += 1
        guard depth <= Self.maxDepth else { throw NotFast() }
    }

    /// `null` as nil (as `decodeIfPresent` reads it), else the value.
    mutating func optional<T>(_ value: (inout JSONReader) throws(NotFast) -> T) throws(NotFast) -> T? {
        if try peek() == UInt8(ascii: "n") {
            try literal("null")
            return nil
        }
        return try value(&self)
    }

    mutating func optionalString() throws(NotFast) -> String? {
        try optional { (r: inout JSONReader) throws(NotFast) in try r.string() }
    }

    mutating func bool() throws(NotFast) -> Bool {
        switch try peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw NotFast()
        }
    }

    /// A plain integer literal that fits Int64; fractions and exponents are left to `JSONDecoder`.
    mutating func int64() throws(NotFast) -> Int64 {
        _ = try peek()
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(bytes[index] - 0x30))
            guard !o1, !o2 else { throw NotFast() }
            value = sum
            index += 1
        }
        let digits = index - start
        guard digits > 0, !(digits > 1 && bytes[start] == 0x30) else { throw NotFast() }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            throw NotFast()
        }
        return negative ? -value : value
    }

    mutating func string() throws(NotFast) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        // The common case: no escapes, so the bytes are the string.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = try Self.validated(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw NotFast() }
            index += 1
        }
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try utf8.withUnsafeBufferPointer { buffer throws(NotFast) in try Self.validated(buffer) }
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw NotFast() }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = UInt32(try hex4())
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                              bytes[index + 1] == UInt8(ascii: "u") else { throw NotFast() }
                        index += 2
                        let low = UInt32(try hex4())
                        guard (0xDC00...0xDFFF).contains(low) else { throw NotFast() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw NotFast()
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw NotFast() }
                    utf8.append(contentsOf: UTF8.encode(unicode)!)
                default: throw NotFast()
                }
            default:
                guard byte >= 0x20 else { throw NotFast() }
                utf8.append(byte)
            }
        }
        throw NotFast()
    }

    mutating func hex4() throws(NotFast) -> UInt16 {
        guard index + 4 <= bytes.count else { throw NotFast() }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw NotFast()
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    static func validated(_ utf8: UnsafeBufferPointer<UInt8>) throws(NotFast) -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else { throw NotFast() }
        return text
    }

    /// Skips any well-formed value, as `JSONDecoder` does with members a type does not have.
    mutating func skipValue() throws(NotFast) {
        switch try peek() {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "{"):
            try object { (_: String, reader: inout JSONReader) throws(NotFast) in try reader.skipValue() }
        case UInt8(ascii: "["):
            _ = try array { (r: inout JSONReader) throws(NotFast) in try r.skipValue() }
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): try literal("null")
        default: try skipNumber()
        }
    }

    /// A JSON number per RFC 8259's grammar.
    mutating func skipNumber() throws(NotFast) {
        func digits(_ r: inout JSONReader) -> Int {
            let start = r.index
            while r.index < r.bytes.count, r.bytes[r.index] >= 0x30, r.bytes[r.index] <= 0x39 { r.index += 1 }
            return r.index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let start = index
        let whole = digits(&self)
        guard whole > 0, !(whole > 1 && bytes[start] == 0x30) else { throw NotFast() }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw NotFast() }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw NotFast() }
        }
    }
}
