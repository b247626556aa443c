/// How two concurrent writes of one field are settled. A rule is data: it is stored per field in a
/// `ConflictPolicy`, travels with every pushed mutation, and the same `resolve` runs on client and server.
public enum ConflictRule: String, CaseIterable, Codable, Sendable {
    /// The later `(changed_at, device)` wins. The default for every field.
    case lastWriterWins = "last-writer-wins"
    /// A concurrent server-side change always beats the client's.
    case serverWins = "server-wins"
    /// The client's change always beats a concurrent server-side one.
    case clientWins = "client-wins"
    /// `true` beats `false` (read beats unread); equal values fall back to last-writer-wins.
    case readWins = "read-wins"

    /// Accepts the canonical names and `lww` as a short form of `last-writer-wins`.
    public init?(name: String) {
        if name == "lww" { self = .lastWriterWins; return }
        self.init(rawValue: name)
    }
}

/// Which side a judgement picked.
public enum ConflictSide: String, Codable, Sendable {
    /// The write that is being judged: a client's pending mark or a pushed mutation.
    case incoming
    /// The state already held by the arbiter: the server's current state.
    case current
}

/// The outcome of judging one incoming write against the current state of the same field.
public struct Verdict: Hashable, Sendable {
    public var winner: ConflictSide
    /// True when the two writes were concurrent and disagreed: such judgements are logged.
    public var isConflict: Bool
    public var rule: ConflictRule

    public init(winner: ConflictSide, isConflict: Bool, rule: ConflictRule) {
        self.winner = winner
        self.isConflict = isConflict
        self.rule = rule
    }
}

extension ConflictRule {
    /// Judges `incoming` (a client's write) against `current` (the server's state of the same field).
    ///
    /// - Parameter concurrent: whether `current` changed after the state the incoming write was based on
    ///   (on the server: `base_rev` is older than the field's revision; on a client: a pulled change meets
    ///   a pending mark). A write that is not concurrent saw `current` and simply replaces it — except under
    ///   last-writer-wins, which orders every pair of writes by time alone so all replicas agree.
    public func resolve(incoming: FieldState, current: FieldState?, concurrent: Bool) -> Verdict {
        guard let current else { return Verdict(winner: .incoming, isConflict: false, rule: self) }
        let winner: ConflictSide
        switch self {
        case .lastWriterWins:
            winner = incoming.isLater(than: current) ? .incoming : .current
        case .serverWins:
            winner = concurrent ? .current : .incoming
        case .clientWins:
            winner = .incoming
        case .readWins:
            if !concurrent {
                winner = .incoming
            } else if incoming.value != current.value {
                winner = incoming.value ? .incoming : .current
            } else {
                winner = incoming.isLater(than: current) ? .incoming : .current
            }
        }
        let disagree = incoming.value != current.value
        let isConflict = disagree && (concurrent || winner == .current)
        return Verdict(winner: winner, isConflict: isConflict, rule: self)
    }
}

/// The rule for each field; fields not named use last-writer-wins. Parsed from `FIELD=RULE` flags.
public struct ConflictPolicy: Hashable, Sendable {
    public private(set) var rules: [StateField: ConflictRule]

    public init(_ rules: [StateField: ConflictRule] = [:]) { self.rules = rules }

    public static let `default` = ConflictPolicy()

    public func rule(for field: StateField) -> ConflictRule { rules[field] ?? .lastWriterWins }

    public mutating func set(_ rule: ConflictRule, for field: StateField) { rules[field] = rule }

    /// Parses `FIELD=RULE` items, later items overriding earlier ones.
    public init(parsing items: [String]) throws(PolicyError) {
        self.init()
        for item in items {
            let (field, rule) = try Self.parse(item)
            rules[field] = rule
        }
    }

    public static func parse(_ item: String) throws(PolicyError) -> (StateField, ConflictRule) {
        let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw PolicyError(item: item, reason: "expected FIELD=RULE") }
        guard let field = StateField(rawValue: parts[0]) else {
            throw PolicyError(item: item, reason: "unknown field '\(parts[0])' (fields: read, starred)")
        }
        guard let rule = ConflictRule(name: parts[1]) else {
            let names = ConflictRule.allCases.map(\.rawValue).joined(separator: ", ")
            throw PolicyError(item: item, reason: "unknown rule '\(parts[1])' (rules: \(names))")
        }
        return (field, rule)
    }

    /// `FIELD=RULE` items for every field that has a rule set, in a stable order.
    public var items: [String] {
        StateField.allCases.compactMap { field in rules[field].map { "\(field.rawValue)=\($0.rawValue)" } }
    }
}

public struct PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    public var item: String
    public var reason: String
    public var description: String { "bad policy '\(item)': \(reason)" }
}
