import BriefingStore

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same operations.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

/// One step of a generated case.
enum Operation: CustomStringConvertible {
    /// A reader on one of the three devices marks an article; `jitter` (ms) is added to the device's skew.
    case mark(device: Int, action: MarkAction, article: Int, jitter: Int64)
    case sync(device: Int)
    /// Only the pull of a sync, with the device's pending marks still queued (as when they were made
    /// while its sync was pulling); the next sync pushes them.
    case pullOnly(device: Int)
    /// A sync whose push the server judges but whose answer is cut off (`truncate` fault), so the sync
    /// fails and the marks stay queued; the next push repeats their mutation ids.
    case lostPushAnswer(device: Int)
    /// A fourth device's mark through `POST /admin/state`: at now + `offset` ms, or tied with the
    /// field's current server time when `tie` is set.
    case remoteMark(article: Int, read: Bool, value: Bool, offset: Int64, tie: Bool)
    /// `POST /admin/articles`: a new revision (brings a deleted article back).
    case edit(article: Int)
    case delete(article: Int)
    case expireTokens

    var description: String {
        switch self {
        case let .mark(device, action, article, jitter): "device \(device) marks \(action) article \(article) (jitter \(jitter) ms)"
        case let .sync(device): "device \(device) syncs"
        case let .pullOnly(device): "device \(device) pulls with its marks pending"
        case let .lostPushAnswer(device): "device \(device) syncs, its push answer is lost"
        case let .remoteMark(article, read, value, offset, tie):
            "other device sets \(read ? "read" : "starred")=\(value) on article \(article) " + (tie ? "(tied)" : "(offset \(offset) ms)")
        case let .edit(article): "server edits article \(article)"
        case let .delete(article): "server deletes article \(article)"
        case .expireTokens: "server expires tokens"
        }
    }
}

/// A generated case: per-device clock skews, which devices sync first, and the operations.
struct Scenario: CustomStringConvertible {
    static let devices = 3
    static let articles = 8
    static let twoDays: Int64 = 2 * 86_400_000

    var seed: UInt64
    var skews: [Int64]
    /// The device whose `read` field uses read-wins (`--policy read=read-wins`) in this case, if any.
    var readWinsDevice: Int?
    var operations: [Operation]

    /// A hand-written case, for a regression found by the generated ones.
    init(skews: [Int64], readWinsDevice: Int? = nil, operations: [Operation]) {
        seed = 0
        self.skews = skews
        self.readWinsDevice = readWinsDevice
        self.operations = operations
    }

    init(seed: UInt64) {
        self.seed = seed
        var random = SplitMix64(seed: seed)
        skews = (0..<Self.devices).map { _ in
            // Often no skew at all, so near-simultaneous marks on synchronised clocks occur too.
            random.chance(25) ? 0 : Int64(random.below(Int(2 * Self.twoDays + 1))) - Self.twoDays
        }
        readWinsDevice = random.chance(35) ? random.below(Self.devices) : nil
        var operations: [Operation] = []
        for device in 0..<Self.devices where random.chance(70) { operations.append(.sync(device: device)) }
        for _ in 0..<(12 + random.below(30)) {
            let roll = random.below(100)
            let article = random.below(Self.articles)
            switch roll {
            case 0..<45:
                operations.append(.mark(device: random.below(Self.devices),
                                        action: MarkAction.allCases[random.below(4)], article: article,
                                        jitter: Int64(random.below(2001)) - 1000))
            case 45..<62:
                operations.append(.sync(device: random.below(Self.devices)))
            case 62..<67:
                operations.append(.pullOnly(device: random.below(Self.devices)))
            case 67..<70:
                operations.append(.lostPushAnswer(device: random.below(Self.devices)))
            case 70..<82:
                operations.append(.remoteMark(article: article, read: random.chance(50), value: random.chance(50),
                                              offset: Int64(random.below(Int(2 * Self.twoDays + 1))) - Self.twoDays,
                                              tie: random.chance(20)))
            case 82..<89:
                operations.append(.edit(article: article))
            case 89..<96:
                operations.append(.delete(article: article))
            default:
                operations.append(.expireTokens)
            }
        }
        self.operations = operations
    }

    var description: String {
"skews \(skews) ms, read-wins on device \(readWinsDevice.map(String.init) ?? "none")\n" + operations.enumerated().map { "  \($0.offset): \($0.element)" }.joined(separator: "\n")
    }
}
