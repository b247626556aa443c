/// An independent model of the whole system — the server and every device — written from README.md's conflict
/// rules and Schema/protocol.md, not from the product code (it never calls `ConflictRule`). The convergence test
/// replays every operation here as well as against the real stores and server, then compares.
///
/// Rules modelled:
/// - a write is `(value, changed_at, device)`; under last-writer-wins (the default) the later
///   `(changed_at, device)` of two writes of one field wins, the device id breaking ties; under read-wins
///   (one device's `read` field in some cases) a write that is concurrent with the server's state (made on
///   an older revision of the field) and disagrees with it wins only when it says read, and a write made
///   on the current revision simply replaces it;
/// - the server numbers every content write, delete and applied state change; a field's `rev` is the number
///   of its state, and a device names the rev it last saw as the `base_rev` of the mark it makes;
/// - a device's marks wait in its outbox, one per article and field (a later mark replaces an earlier one);
///   a sync pushes them, then pulls; after it the device shows the server's state of every live article;
///   a pull that meets a pending mark judges it against the server's newer state by the device's rule
///   and drops it when it loses, so the device shows what the server will decide;
/// - a mark on a deleted article is `gone`; a device that learns of a delete removes the article, or keeps it
///   as archived when it is starred there; marks on an archived article stay on the device;
/// - an edit publishes a new revision (and brings a deleted article back).
struct Oracle {
    struct Write: Hashable, CustomStringConvertible {
        var value: Bool
        var at: Int64
        var device: String

        /// The last-writer-wins order: later time first, then the greater device id.
        func beats(_ other: Write) -> Bool {
            at != other.at ? at > other.at : device > other.device
        }

        var description: String { "\(value)@\(at)/\(device)" }
    }

    enum Rule: String { case lastWriterWins = "last-writer-wins", readWins = "read-wins" }

    /// Whether `incoming` wins over `current` under `rule`.
    static func wins(_ incoming: Write, over current: Write, rule: Rule, concurrent: Bool) -> Bool {
        switch rule {
        case .lastWriterWins: return incoming.beats(current)
        case .readWins:
            if !concurrent { return true }
            return incoming.value != current.value ? incoming.value : incoming.beats(current)
        }
    }

    struct Stored: Hashable {
        var write: Write
        var rev: Int64
    }

    struct ServerArticle: Hashable {
        var live = true
        var revision: Int64 = 1
        var title: String
        var read: Stored?
        var starred: Stored?

        subscript(field: Field) -> Stored? {
            get { field == .read ? read : starred }
            set { if field == .read { read = newValue } else { starred = newValue } }
        }
    }

    enum Field: String, CaseIterable, Hashable { case read, starred }

    /// What a device shows for one article.
    struct HeldArticle: Hashable {
        var archived = false
        var title: String?
        var read = false
        var starred = false

        subscript(field: Field) -> Bool {
            get { field == .read ? read : starred }
            set { if field == .read { read = newValue } else { starred = newValue } }
        }
    }

    struct Key: Hashable, Comparable {
        var id: String
        var field: Field
        static func < (a: Key, b: Key) -> Bool { (a.id, a.field.rawValue) < (b.id, b.field.rawValue) }
    }

    struct Pending: Hashable {
        var write: Write
        var baseRev: Int64
        /// The server judged this mutation but its answer was lost: pushed again, it is a duplicate.
        var delivered = false
    }

    struct Device {
        var name: String
        var readRule = Rule.lastWriterWins
        var held: [String: HeldArticle] = [:]
        var outbox: [Key: Pending] = [:]
        /// The rev of each field's server state as last seen here.
        var knownRev: [Key: Int64] = [:]
        /// A lower bound of the device's hybrid clock: every changed_at it has certainly seen or issued.
        var seen: Int64 = 0

        func rule(_ field: Field) -> Rule { field == .read ? readRule : .lastWriterWins }

        mutating func forget(_ id: String) {
            for field in Field.allCases { knownRev[Key(id: id, field: field)] = nil }
        }
    }

    enum RemoteOutcome: String { case applied, conflict, gone }

    var server: [String: ServerArticle]
    var devices: [Device]
    /// The server's change sequence: the seed feed's articles took 1...n.
    var sequence: Int64

    init(articles: [(id: String, title: String)], devices: [String], readWins: Int? = nil) {
        server = Dictionary(uniqueKeysWithValues: articles.map { ($0.id, ServerArticle(title: $0.title)) })
        self.devices = devices.map { Device(name: $0) }
        if let readWins { self.devices[readWins].readRule = .readWins }
        sequence = Int64(articles.count)
    }

    /// Judges one incoming write against the server's state; stores it when it wins.
    private mutating func judge(_ write: Write, _ key: Key, rule: Rule, baseRev: Int64?) -> RemoteOutcome {
        guard let article = server[key.id], article.live else { return .gone }
        if let current = article[key.field] {
            let concurrent = baseRev.map { $0 < current.rev } ?? false
            if !Self.wins(write, over: current.write, rule: rule, concurrent: concurrent) { return .conflict }
        }
        sequence += 1
        server[key.id]![key.field] = Stored(write: write, rev: sequence)
        return .applied
    }

    /// A mark by a device outside the test's three stores (`POST /admin/state`, the server's default rule).
    mutating func remoteMark(_ write: Write, _ key: Key) -> RemoteOutcome {
        judge(write, key, rule: .lastWriterWins, baseRev: nil)
    }

    mutating func edit(_ id: String, title: String) {
        sequence += 1
        server[id]!.revision += 1
        server[id]!.title = title
        server[id]!.live = true
    }

    mutating func delete(_ id: String) {
        if server[id]!.live { sequence += 1 }
        server[id]!.live = false
    }

    /// Whether marking would change the device's article: nil when the device does not hold it.
    func wouldChange(device: Int, id: String, field: Field, value: Bool) -> Bool? {
        devices[device].held[id].map { $0[field] != value }
    }

    /// A local mark that changed the article, stamped `at` by the device. It is based on the field's state
    /// as the device last saw it, also when it replaces a pending mark.
    mutating func mark(device d: Int, id: String, field: Field, value: Bool, at: Int64?) {
        devices[d].held[id]![field] = value
        guard !devices[d].held[id]!.archived, let at else { return }
        let key = Key(id: id, field: field)
        let base = devices[d].knownRev[key] ?? 0
        devices[d].knownRev[key] = base
        devices[d].outbox[key] = Pending(write: Write(value: value, at: at, device: devices[d].name), baseRev: base)
        devices[d].seen = max(devices[d].seen, at)
    }

    /// A pull: deletes remove or archive articles (dropping their pending marks), every live article shows
    /// the server's state unless a pending mark beats it. Returns how many pending marks were dropped.
    mutating func pull(device d: Int) -> Int {
        var dropped = 0
        for (id, held) in devices[d].held where !held.archived && server[id]?.live != true {
            for key in devices[d].outbox.keys where key.id == id {
                devices[d].outbox[key] = nil
                dropped += 1
            }
            if held.starred {
                devices[d].held[id]!.archived = true
            } else {
                devices[d].held[id] = nil
                devices[d].forget(id)
            }
        }
        for (id, article) in server where article.live {
            if devices[d].held[id]?.archived == true { devices[d].forget(id) }  // published again
            var held = HeldArticle(archived: false, title: article.title)
            for field in Field.allCases {
                let key = Key(id: id, field: field)
                let current = article[field]
                if let current { devices[d].seen = max(devices[d].seen, current.write.at) }
                guard let pending = devices[d].outbox[key] else {
                    held[field] = current?.write.value ?? false
                    if let current, current.rev > devices[d].knownRev[key] ?? -1 { devices[d].knownRev[key] = current.rev }
                    continue
                }
                held[field] = pending.write.value
                guard let current, current.rev > pending.baseRev, current.rev > devices[d].knownRev[key] ?? -1 else { continue }
                devices[d].knownRev[key] = current.rev
                if !Self.wins(pending.write, over: current.write, rule: devices[d].rule(field), concurrent: true) {
                    devices[d].outbox[key] = nil
                    dropped += 1
                    held[field] = current.write.value
                }
            }
            devices[d].held[id] = held
        }
        return dropped
    }

    /// What pushing an outbox did.
    struct PushOutcome { var settled = 0, conflicts = 0, gone = 0, duplicates = 0 }

    /// A push whose answer is lost: the server judges every pending mark, the device learns nothing and
    /// keeps them queued. Returns how many were pushed.
    mutating func lostPush(device d: Int) -> Int {
        for (key, pending) in devices[d].outbox.sorted(by: { $0.key < $1.key }) where !pending.delivered {
            _ = judge(pending.write, key, rule: devices[d].rule(key.field), baseRev: pending.baseRev)
            devices[d].outbox[key]!.delivered = true
        }
        return devices[d].outbox.count
    }

    /// One sync: push the outbox, then pull.
    mutating func sync(device d: Int) -> PushOutcome {
        let outbox = devices[d].outbox.sorted { $0.key < $1.key }
        devices[d].outbox = [:]
        var outcome = PushOutcome(settled: outbox.count)
        for (key, pending) in outbox {
            if pending.delivered {
                // `duplicate`, with the field's current state (kept even for a deleted article).
                outcome.duplicates += 1
                if let current = server[key.id]?[key.field] {
                    devices[d].held[key.id]?[key.field] = current.write.value
                    devices[d].knownRev[key] = current.rev
                    devices[d].seen = max(devices[d].seen, current.write.at)
                } else {
                    devices[d].held[key.id]?[key.field] = false  // the server never took a state for it
                    devices[d].knownRev[key] = nil
                }
                continue
            }
            let verdict = judge(pending.write, key, rule: devices[d].rule(key.field), baseRev: pending.baseRev)
            switch verdict {
            case .gone:
                outcome.gone += 1  // the local value stays until the tombstone is pulled
            case .applied, .conflict:
                if verdict == .conflict { outcome.conflicts += 1 }
                let winner = server[key.id]![key.field]!
                devices[d].held[key.id]?[key.field] = winner.write.value
                devices[d].knownRev[key] = winner.rev
                devices[d].seen = max(devices[d].seen, winner.write.at)
            }
        }
        _ = pull(device: d)
        return outcome
    }
}
