/// The per-article fields a reader changes. Each is synced on its own: a `read` mark never overwrites a
/// concurrent `starred` mark.
public enum StateField: String, CaseIterable, Codable, Sendable {
    case read
    case starred
}

/// One replica's view of one field of one article: its value, when it was set and by which device.
/// `(changedAt, device)` orders every write totally, so every replica picks the same last writer.
public struct FieldState: Hashable, Codable, Sendable {
    public var value: Bool
    public var changedAt: Timestamp
    public var device: String

    public init(value: Bool, changedAt: Timestamp, device: String) {
        self.value = value
        self.changedAt = changedAt
        self.device = device
    }

    /// True when `self` was written after `other`; equal times fall to the device id, so ties are decided
    /// the same way everywhere.
    public func isLater(than other: FieldState) -> Bool {
        if changedAt != other.changedAt { return changedAt > other.changedAt }
        if device != other.device { return device > other.device }
        return value && !other.value
    }

    enum CodingKeys: String, CodingKey {
        case value
        case changedAt = "changed_at"
        case device
    }
}
