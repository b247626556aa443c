import BriefingModel

/// The body of a push: the device's pending marks, each at most once.
public struct PushRequest: Codable, Sendable, Hashable {
    public var mutations: [Mutation]
    public init(mutations: [Mutation]) { self.mutations = mutations }
}

/// One local mark, as the client pushes it. `mutationID` makes a retried push harmless; `baseRev` is the
/// field revision the mark was made on; `rule` is the rule the client judges by (server default if nil).
public struct Mutation: Codable, Sendable, Hashable {
    public var mutationID: String
    public var articleID: String
    public var field: StateField
    public var value: Bool
    public var changedAt: Timestamp
    public var device: String
    public var baseRev: Int64
    public var rule: ConflictRule?

    public init(mutationID: String, articleID: String, field: StateField, value: Bool, changedAt: Timestamp,
                device: String, baseRev: Int64, rule: ConflictRule? = nil) {
        self.mutationID = mutationID
        self.articleID = articleID
        self.field = field
        self.value = value
        self.changedAt = changedAt
        self.device = device
        self.baseRev = baseRev
        self.rule = rule
    }

    public var fieldState: FieldState { FieldState(value: value, changedAt: changedAt, device: device) }

    enum CodingKeys: String, CodingKey {
        case field, value, device, rule
        case mutationID = "mutation_id"
        case articleID = "article_id"
        case changedAt = "changed_at"
        case baseRev = "base_rev"
    }
}

public enum MutationStatus: String, Codable, Sendable {
    /// The mark is now the server's state.
    case applied
    /// This mutation id was applied before; it was not applied again.
    case duplicate
    /// A concurrent write won; `state` holds the winner, which the client adopts.
    case conflict
    /// The article was deleted on the server.
    case gone
}

public struct MutationResult: Codable, Sendable, Hashable {
    public var mutationID: String
    public var articleID: String
    public var field: StateField
    public var status: MutationStatus
    /// The field's state on the server after judging (absent for `gone`).
    public var state: StateRecord?
    /// The rule the server judged by.
    public var rule: ConflictRule?
    /// How many milliseconds the server moved the mark's `changed_at` before judging it (negative: earlier),
    /// because the device's clock was more than the maximum clock offset off; absent when it did not.
    public var clockAdjustedMs: Int64?

    public init(mutationID: String, articleID: String, field: StateField, status: MutationStatus,
                state: StateRecord?, rule: ConflictRule? = nil, clockAdjustedMs: Int64? = nil) {
        self.mutationID = mutationID
        self.articleID = articleID
        self.field = field
        self.status = status
        self.state = state
        self.rule = rule
        self.clockAdjustedMs = clockAdjustedMs
    }

    enum CodingKeys: String, CodingKey {
        case field, status, state, rule
        case mutationID = "mutation_id"
        case articleID = "article_id"
        case clockAdjustedMs = "clock_adjusted_ms"
    }
}

public struct PushResponse: Codable, Sendable, Hashable {
    public var serverTime: Timestamp
    public var results: [MutationResult]

    public init(serverTime: Timestamp, results: [MutationResult]) {
        self.serverTime = serverTime
        self.results = results
    }

    enum CodingKeys: String, CodingKey {
        case results
        case serverTime = "server_time"
    }
}

/// The body of every protocol error response: `{"error": "..."}`.
public struct ErrorBody: Codable, Sendable, Hashable {
    public var error: String
    public init(error: String) { self.error = error }
}
