/// An independent model of the whole system — the server and every device — written from CONTRACT §6 and
/// Schema/protocol.md, not from the product code (it never calls `ConflictRule`). The convergence test
/// replays every operation here as well as against the real stores and server, then compares.
///
/// Rules modelled, all under the default last-writer-wins policy:
/// - a write is `(value, changed_at, device)`; of two writes of one field the later `(changed_at, device)`
///   wins, the device id breaking ties;
/// - a device's marks wait in its outbox, one per article and field (a later mark replaces an earlier one);
///   a sync pushes them, then pulls; after it the device shows the server's state of every live article;
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

    struct ServerArticle: Hashable {
        var live = true
        var revision: Int64 = 1
        var title: String
        var read: Write?
        var starred: Write?

        subscript(field: Field) -> Write? {
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

    struct Device {
        var name: String
        var held: [String: HeldArticle] = [:]
        var outbox: [Key: Write] = [:]
        /// A lower bound of the device's hybrid clock: every changed_at it has certainly seen or issued.
        var seen: Int64 = 0
    }

    enum RemoteOutcome: String { case applied, conflict, gone }

    var server: [String: ServerArticle]
    var devices: [Device]

    init(articles: [(id: String, title: String)], devices: [String]) {
        server = Dictionary(uniqueKeysWithValues: articles.map { ($0.id, ServerArticle(title: $0.title)) })
        self.devices = devices.map { Device(name: $0) }
    }

    /// Judges one incoming write against the server's state; returns whether it was stored.
    private mutating func judge(_ write: Write, _ key: Key) -> RemoteOutcome {
        guard let article = server[key.id], article.live else { return .gone }
        if let current = article[key.field], !write.beats(current) { return .conflict }
        server[key.id]![key.field] = write
        return .applied
    }

    /// A mark by a device outside the test's three stores (`POST /admin/state`).
    mutating func remoteMark(_ write: Write, _ key: Key) -> RemoteOutcome { judge(write, key) }

    mutating func edit(_ id: String, title: String) {
        server[id]!.revision += 1
        server[id]!.title = title
        server[id]!.live = true
    }

    mutating func delete(_ id: String) { server[id]!.live = false }

    /// Whether marking would change the device's article: nil when the device does not hold it.
    func wouldChange(device: Int, id: String, field: Field, value: Bool) -> Bool? {
        devices[device].held[id].map { $0[field] != value }
    }

    /// A local mark that changed the article, stamped `at` by the device.
    mutating func mark(device d: Int, id: String, field: Field, value: Bool, at: Int64?) {
        devices[d].held[id]![field] = value
        guard !devices[d].held[id]!.archived, let at else { return }
        devices[d].outbox[Key(id: id, field: field)] = Write(value: value, at: at, device: devices[d].name)
        devices[d].seen = max(devices[d].seen, at)
    }

    /// The pull of a sync during which the device's marks were made after its push: the outbox meets the
    /// pulled states. What the device then shows must be what the server will decide: a pending mark that
    /// loses to the server's current state is dropped; pending marks on a deleted article are dropped.
    mutating func pullOnly(device d: Int) -> Int {
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
            }
        }
        for (id, article) in server where article.live {
            var held = HeldArticle(archived: false, title: article.title)
            for field in Field.allCases {
                let key = Key(id: id, field: field)
                if let pending = devices[d].outbox[key], devices[d].held[id]?.archived == false,
                   article[field].map({ pending.beats($0) }) ?? true {
                    held[field] = pending.value
                } else {
                    if devices[d].outbox.removeValue(forKey: key) != nil { dropped += 1 }
                    held[field] = article[field]?.value ?? false
                }
                if let write = article[field] { devices[d].seen = max(devices[d].seen, write.at) }
            }
            devices[d].held[id] = held
        }
        return dropped
    }

    /// What pushing an outbox did.
    struct PushOutcome { var settled = 0, conflicts = 0, gone = 0 }

    /// One sync: push the outbox, then pull.
    mutating func sync(device d: Int) -> PushOutcome {
        let outbox = devices[d].outbox.sorted { $0.key < $1.key }
        devices[d].outbox = [:]
        var outcome = PushOutcome(settled: outbox.count)
        for (key, write) in outbox {
            let verdict = judge(write, key)
            switch verdict {
            case .gone:
                outcome.gone += 1  // the local value stays until the tombstone is pulled
            case .applied, .conflict:
                if verdict == .conflict { outcome.conflicts += 1 }
                let winner = server[key.id]![key.field]!
                devices[d].held[key.id]?[key.field] = winner.value
                devices[d].seen = max(devices[d].seen, winner.at)
            }
        }
        for (id, held) in devices[d].held where !held.archived && server[id]?.live != true {
            if held.starred {
                devices[d].held[id]!.archived = true
            } else {
                devices[d].held[id] = nil
            }
        }
        for (id, article) in server where article.live {
            devices[d].held[id] = HeldArticle(archived: false, title: article.title,
                                              read: article.read?.value ?? false,
                                              starred: article.starred?.value ?? false)
            for write in [article.read, article.starred].compactMap({ $0 }) {
                devices[d].seen = max(devices[d].seen, write.at)
            }
        }
        return outcome
    }
}
