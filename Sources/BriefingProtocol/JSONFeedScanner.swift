import Foundation

/// Reads a JSON Feed document chunk by chunk, as its bytes arrive or come off a file, holding no more
/// than one item at a time: top-level members come out as their raw JSON values, and each element of
/// `items` as its own raw JSON value, for `PlainFeedItems` to decode one by one.
///
/// It checks the document's shape — one object, keys that are strings, balanced brackets, strings that
/// end — not every byte of JSON grammar: each value it hands out is parsed by a real JSON reader, so a flaw
/// inside one item costs that item alone. Feed a chunk with `consume(_:)`, then call `finish()`.
/// ```swift
/// var scanner = JSONFeedScanner(maxItemBytes: 16 << 20)
/// for chunk in chunks { for event in try scanner.consume(chunk) { … } }
/// try scanner.finish()
/// ```
public struct JSONFeedScanner: Sendable {
    public enum Event: Sendable {
        /// A top-level member other than an `items` array: its key and raw JSON value, or nil when the
        /// value is larger than `maxMemberBytes` (a feed's scalars are small; a huge one is not used).
        case member(String, Data?)
        /// One element of `items`, by 0-based position: its raw JSON, or nil when it is larger than
        /// `maxItemBytes` (`size` says how large).
        case item(Int, Data?, size: Int)
        /// `items` is an array (sent when it opens, so an empty one counts too).
        case itemsArray
    }

    /// Items larger than this are skipped unread.
    public let maxItemBytes: Int
    public static let maxMemberBytes = 1 << 20
    /// false: items are scanned past but not copied (`.item` events carry nil), for a first pass that
    /// only needs the document's shape and its top-level members.
    public var capturesItems: Bool

    private enum Expect: Sendable {
        case document, firstKey, nextKey, colon, memberValue, afterMember, firstItem, nextItem, afterItem, end
    }
    private enum Target: Sendable { case key, member, item }

    private var expect = Expect.document
    private var startedDocument = false
    private var key = ""
    private var itemCount = 0
    // The value being scanned, when `target` is set.
    private var target: Target?
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var scalar = false
    private var valueSize = 0
    private var capturing = false
    private var captured = Data()

    public init(maxItemBytes: Int, capturesItems: Bool = true) {
        self.maxItemBytes = maxItemBytes
        self.capturesItems = capturesItems
    }

    /// How many elements `items` had so far.
    public var itemsSeen: Int { itemCount }

    /// Scans the next chunk; returns the members and items it completed.
    public mutating func consume(_ chunk: Data) throws(MalformedData) -> [Event] {
        var events: [Event] = []
        let ok = chunk.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return true }
            return scan(UnsafeBufferPointer(start: base, count: raw.count), &events)
        }
        guard ok else { throw Self.invalid }
        return events
    }

    /// Checks that the document ended where a JSON object ends.
    public mutating func finish() throws(MalformedData) {
        guard expect == .end, target == nil else {
            throw startedDocument ? MalformedData("not a JSON Feed: the document is not valid JSON (it ends early)") : Self.invalid
        }
    }

    static let invalid = MalformedData("not a JSON Feed: the document is not valid JSON")

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    private mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ events: inout [Event]) -> Bool {
        var i = 0
        let count = bytes.count
        var valueStart = 0  // where the value being scanned starts in this chunk (0 when it began earlier)
        while i < count {
            if target != nil {
                // Inside a value: find where it ends.
                var end: Int?
                if scalar {
                    while i < count {
                        let b = bytes[i]
                        if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || Self.isSpace(b) { end = i; break }
                        i += 1
                    }
                } else {
                    while i < count {
                        let b = bytes[i]
                        i += 1
                        if inString {
                            if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") {
                                inString = false
                                if depth == 0 { end = i; break }
                            }
                        } else if b == UInt8(ascii: "\"") {
                            inString = true
                        } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                            depth += 1
                        } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                            depth -= 1
                            if depth == 0 { end = i; break }
                        }
                    }
                }
                guard let end else {
                    keep(bytes, from: valueStart, to: count)
                    return true
                }
                keep(bytes, from: valueStart, to: end)
                guard endValue(&events) else { return false }
                i = end
                continue
            }
            let b = bytes[i]
            if Self.isSpace(b) { i += 1; continue }
            switch expect {
            case .document:
                // A UTF-8 byte order mark, which may arrive split across chunks.
                if b == 0xEF || b == 0xBB || b == 0xBF { i += 1; continue }
                guard b == UInt8(ascii: "{") else { return false }
                startedDocument = true
                expect = .firstKey
                i += 1
            case .firstKey, .nextKey:
                if b == UInt8(ascii: "}") && expect == .firstKey { expect = .end; i += 1; continue }
                guard b == UInt8(ascii: "\"") else { return false }
                startValue(.key, at: i, &valueStart)
            case .colon:
                guard b == UInt8(ascii: ":") else { return false }
                expect = .memberValue
                i += 1
            case .memberValue:
                if key == "items" && b == UInt8(ascii: "[") {
                    events.append(.itemsArray)
                    expect = .firstItem
                    i += 1
                } else {
                    guard startValue(.member, at: i, &valueStart, first: b) else { return false }
                }
            case .afterMember:
                if b == UInt8(ascii: ",") { expect = .nextKey } else if b == UInt8(ascii: "}") { expect = .end } else { return false }
                i += 1
            case .firstItem, .nextItem:
                if b == UInt8(ascii: "]") && expect == .firstItem { expect = .afterMember; i += 1; continue }
                guard startValue(.item, at: i, &valueStart, first: b) else { return false }
            case .afterItem:
                if b == UInt8(ascii: ",") { expect = .nextItem } else if b == UInt8(ascii: "]") { expect = .afterMember } else { return false }
                i += 1
            case .end:
                return false
            }
        }
        return true
    }

    /// Begins a value at `index` (whose first byte is `first`); false when no JSON value starts so.
    @discardableResult
    private mutating func startValue(_ kind: Target, at index: Int, _ valueStart: inout Int, first: UInt8 = UInt8(ascii: "\"")) -> Bool {
        switch first {
        case UInt8(ascii: "\""): (inString, depth, scalar) = (false, 0, false)
        case UInt8(ascii: "{"), UInt8(ascii: "["): (inString, depth, scalar) = (false, 0, false)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            (inString, depth, scalar) = (false, 0, true)
        default: return false
        }
        target = kind
        escaped = false
        valueSize = 0
        captured = Data()
        capturing = kind != .item || capturesItems
        valueStart = index
        return true
    }

    /// Adds the value's bytes in `bytes[start..<end]` to what is kept of it.
    private mutating func keep(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) {
        guard end > start else { return }
        valueSize += end - start
        guard capturing else { return }
        let limit = target == .item ? maxItemBytes : target == .key ? 4_096 : Self.maxMemberBytes
        if valueSize > limit {
            capturing = false
            captured = Data()
        } else {
            captured.append(UnsafeBufferPointer(rebasing: bytes[start..<end]))
        }
    }

    /// The value just ended: hand it out and move on. false when it was not what the position needs.
    private mutating func endValue(_ events: inout [Event]) -> Bool {
        let value = capturing ? captured : nil
        captured = Data()
        defer { target = nil }
        switch target {
        case .key:
            guard let value, let text = try? JSONSerialization.jsonObject(with: value, options: [.fragmentsAllowed]) as? String
            else { return false }
            key = text
            expect = .colon
        case .member:
            events.append(.member(key, value))
            expect = .afterMember
        case .item:
            events.append(.item(itemCount, value, size: valueSize))
            itemCount += 1
            expect = .afterItem
        case nil:
            return false
        }
        return true
    }
}
