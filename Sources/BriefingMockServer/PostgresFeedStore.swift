import BriefingModel
import BriefingProtocol
import Foundation
import Logging
import PostgresNIO

/// The mock server's store in a PostgreSQL database (`--database postgres://…`), which several server
/// instances may share: they hand out change tokens either understands and judge duplicate pushes once.
///
/// How the database, not the process, keeps the protocol's promises (Schema/protocol.md §11):
/// - Sequence numbers are taken from the single `server_state` row under its row lock (`FOR UPDATE`, or the
///   `UPDATE … RETURNING` of a push), held to the commit. Writers on all instances queue on that row, so
///   numbers commit in the order they are handed out: a pull (one REPEATABLE READ snapshot, the position
///   and the changes read together) never sees N+1 without N, and never skips a change that commits
///   later with a lower number.
/// - A push or device mark first takes its account's advisory lock (`pg_advisory_xact_lock`), then reads
///   its Idempotency-Key and mutation ids: a duplicate push sent to another instance at the same time waits,
///   then replays the stored answer or answers `duplicate`. The primary keys on (account, key) and
///   (account, mutation_id) back this up: a second record could only fail its transaction, never apply a
///   mark twice. Pushes of different accounts judge in parallel and meet only at the sequence row.
public final class PostgresFeedStore: FeedStorage {
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>

    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`, TLS off: loopback or a
    /// trusted network) and applies the migrations of Schema/server/postgres that it has not seen.
    public init(url: String) async throws {
        let endpoint = try Address(url: url)
        var logger = Logger(label: "briefing-mock-server.postgres")
        logger.logLevel = .warning
        self.logger = logger
        // Migrate over one connection of its own first: an unreachable database or refused login fails
        // here at once, where the pool would keep retrying in the background.
        var direct = PostgresConnection.Configuration(host: endpoint.host, port: endpoint.port, username: endpoint.user,
                                                      password: endpoint.password, database: endpoint.database,
                                                      tls: .disable)
        direct.options.connectTimeout = .seconds(10)
        let connection = try await PostgresConnection.connect(configuration: direct, id: 0, logger: logger)
        do {
            try await Self.migrate(connection, logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        var pooled = PostgresClient.Configuration(host: endpoint.host, port: endpoint.port, username: endpoint.user,
                                                  password: endpoint.password, database: endpoint.database, tls: .disable)
        // Room for pulls while pushes of many accounts wait for their locks.
        pooled.options.maximumConnections = 48
        let client = PostgresClient(configuration: pooled, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
    }

    public func close() async {
        runner.cancel()
    }

    /// What a `postgres://user[:password]@host[:port]/database` URL names.
    struct Address {
        var host: String
        var port: Int
        var user: String
        var password: String?
        var database: String?

        init(url: String) throws {
            guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme),
                  let host = parts.host, !host.isEmpty, let user = parts.user, !user.isEmpty else {
                throw PostgresURLError(url: url)
            }
            let database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
            self.host = host
            port = parts.port ?? 5432
            self.user = user.removingPercentEncoding ?? user
            password = parts.password?.removingPercentEncoding
            self.database = database.isEmpty ? nil : database
        }
    }

    /// Applies each migration once, under an advisory lock so instances starting together take turns.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        do {
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(7402815)", logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS schema_migration (name TEXT PRIMARY KEY)", logger: logger)
                var applied = Set<String>()
                for try await name in try await connection.query("SELECT name FROM schema_migration", logger: logger)
                    .decode(String.self) {
                    applied.insert(name)
                }
                for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
                    for statement in statements(of: migration.sql) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("INSERT INTO schema_migration (name) VALUES (\(migration.name))",
                                               logger: logger)
                }
                // A random first epoch, as in the SQLite store.
                let epoch = Int64.random(in: 1...1_000_000_000)
                try await connection.query("""
                    INSERT INTO server_state (id, sequence, token_epoch) VALUES (1, 0, \(epoch))
                    ON CONFLICT (id) DO NOTHING
                    """, logger: logger)
            }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }

    /// The statements of a migration file: comment lines dropped, split at each `;` that ends a line (the
    /// extended protocol PostgresNIO speaks takes one statement at a time).
    static func statements(of sql: String) -> [String] {
        let code = sql.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
        var statements: [String] = [], current = ""
        for line in code {
            current += line + "\n"
            if line.trimmingCharacters(in: .whitespaces).hasSuffix(";") {
                statements.append(current)
                current = ""
            }
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { statements.append(current) }
        return statements
    }

    // MARK: Transactions

    /// Runs `body` in a READ COMMITTED transaction holding the `server_state` row lock; `Writer` hands out
    /// sequence numbers and stores the last one before the commit.
    func write<Result: Sendable>(account: String? = nil,
                                 _ body: @Sendable (inout Writer) async throws -> Result) async throws -> Result {
        try await Self.unwrappingTransactionErrors { try await client.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                if let account { try await Self.lock(account: account, connection, logger: logger) }
                let rows = try await connection.query(
                    "SELECT sequence, token_epoch FROM server_state WHERE id = 1 FOR UPDATE", logger: logger)
                var counters: ServerCounters?
                for try await (sequence, epoch) in rows.decode((Int64, Int64).self) {
                    counters = ServerCounters(sequence: sequence, epoch: epoch)
                }
                guard let counters else { throw PostgresStoreError.missingServerState }
                var writer = Writer(connection: connection, logger: logger, counters: counters)
                let result = try await body(&writer)
                try await connection.query(
                    "UPDATE server_state SET sequence = \(writer.counters.sequence) WHERE id = 1", logger: logger)
                return result
            }
        } }
    }

    /// Runs `body` in one REPEATABLE READ, read-only snapshot.
    func read<Result: Sendable>(_ body: @Sendable (PostgresConnection, ServerCounters) async throws -> Result) async throws -> Result {
        try await client.withConnection { connection in
            // Opened by hand: one statement instead of BEGIN and SET TRANSACTION.
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let rows = try await connection.query("SELECT sequence, token_epoch FROM server_state WHERE id = 1",
                                                      logger: logger)
                var counters: ServerCounters?
                for try await (sequence, epoch) in rows.decode((Int64, Int64).self) {
                    counters = ServerCounters(sequence: sequence, epoch: epoch)
                }
                guard let counters else { throw PostgresStoreError.missingServerState }
                let result = try await body(connection, counters)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Takes the account's lock for the rest of the transaction: everything that judges one account's state
    /// (pushes, device marks) queues here, on every instance. Always before the `server_state` lock, never
    /// after it, so the two cannot deadlock.
    static func lock(account: String, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(1297, hashtext(\(account)))", logger: logger)
    }

    /// PostgresNIO wraps whatever a transaction's body throws; the routes need the store's own errors
    /// (`PushRejection`, `ExpiredChangeToken`) as they are.
    static func unwrappingTransactionErrors<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }

    /// One line saying why the database failed (PostgresNIO's own descriptions hide the details).
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return String(describing: underlying) }
        return String(describing: error.code)
    }

    /// A write transaction in progress: its connection and the sequence it advances.
    struct Writer {
        let connection: PostgresConnection
        let logger: Logger
        var counters: ServerCounters

        mutating func nextSequence() -> Int64 {
            counters.sequence += 1
            return counters.sequence
        }

        @discardableResult
        func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
            try await connection.query(query, logger: logger)
        }

        func state(account: String, article: String, field: StateField) async throws -> StateRecord? {
            let rows = try await query("""
                SELECT value, changed_at, device, seq FROM field_state
                WHERE account = \(account) AND article_id = \(article) AND field = \(field.rawValue)
                """)
            var record: StateRecord?
            for try await (value, changedAt, device, seq) in rows.decode((Bool, Int64, String, Int64).self) {
                record = StateRecord(value: value, changedAt: Timestamp(milliseconds: changedAt), device: device, rev: seq)
            }
            return record
        }

        mutating func storeState(account: String, article: String, field: StateField,
                                 state: FieldState) async throws -> StateRecord {
            let seq = nextSequence()
            try await query("""
                INSERT INTO field_state (account, article_id, field, value, changed_at, device, seq)
                VALUES (\(account), \(article), \(field.rawValue), \(state.value), \(state.changedAt.milliseconds),
                        \(state.device), \(seq))
                ON CONFLICT (account, article_id, field) DO UPDATE SET
                    value = excluded.value, changed_at = excluded.changed_at, device = excluded.device, seq = excluded.seq
                """)
            return StateRecord(state, rev: seq)
        }

        func isLive(article: String) async throws -> Bool {
            for try await deleted in try await query("SELECT deleted FROM article WHERE id = \(article)").decode(Bool.self) {
                return !deleted
            }
            return false
        }
    }

    // MARK: FeedStorage

    public func isEmpty() async throws -> Bool {
        try await read { connection, _ in
            for try await exists in try await connection.query("SELECT EXISTS (SELECT 1 FROM article)", logger: self.logger)
                .decode(Bool.self) {
                return !exists
            }
            return true
        }
    }

    public func currentToken() async throws -> ChangeToken {
        try await read { _, counters in counters.token }
    }

    public func changes(after token: String?, limit: Int, account: String) async throws -> ChangePage {
        try await read { connection, counters in
            var since: Int64 = 0
            if let token {
                guard let decoded = ChangeToken(token), decoded.epoch == counters.epoch,
                      decoded.sequence <= counters.sequence else { throw ExpiredChangeToken() }
                since = decoded.sequence
            }
            let window = limit + 1
            var candidates: [(seq: Int64, change: PulledChange)] = []
            for try await (id, json, revision, seq) in try await connection.query("""
                SELECT id, item_json, revision, content_seq FROM article
                WHERE NOT deleted AND content_seq > \(since) ORDER BY content_seq LIMIT \(window)
                """, logger: self.logger).decode((String, String, Int64, Int64).self) {
                candidates.append((seq, .item(id: id, json: json, revision: revision)))
            }
            for try await (id, fieldName, value, changedAt, device, seq) in try await connection.query("""
                SELECT s.article_id, s.field, s.value, s.changed_at, s.device, s.seq
                FROM field_state s JOIN article a ON a.id = s.article_id
                WHERE s.account = \(account) AND s.seq > \(since) AND NOT a.deleted AND a.content_seq <= \(since)
                ORDER BY s.seq LIMIT \(window)
                """, logger: self.logger).decode((String, String, Bool, Int64, String, Int64).self) {
                guard let field = StateField(rawValue: fieldName) else { continue }
                let record = StateRecord(value: value, changedAt: Timestamp(milliseconds: changedAt), device: device, rev: seq)
                candidates.append((seq, .state(StateChange(id: id, field: field, record: record))))
            }
            if since > 0 {
                for try await (id, seq) in try await connection.query("""
                    SELECT id, deleted_seq FROM article WHERE deleted AND deleted_seq > \(since)
                    ORDER BY deleted_seq LIMIT \(window)
                    """, logger: self.logger).decode((String, Int64).self) {
                    candidates.append((seq, .tombstone(id: id)))
                }
            }
            let cut = PageCut(candidates, limit: limit, sequence: counters.sequence)
            let (itemRows, deleted, states, next, hasMore) = (cut.itemRows, cut.deleted, cut.states, cut.next, cut.hasMore)
            var embedded: [String: [StateField: StateRecord]] = [:]
            if !itemRows.isEmpty {
                let ids = itemRows.map(\.id)
                for try await (id, fieldName, value, changedAt, device, seq) in try await connection.query("""
                    SELECT article_id, field, value, changed_at, device, seq FROM field_state
                    WHERE account = \(account) AND article_id = ANY(\(ids))
                    """, logger: self.logger).decode((String, String, Bool, Int64, String, Int64).self) {
                    guard let field = StateField(rawValue: fieldName) else { continue }
                    embedded[id, default: [:]][field] = StateRecord(
                        value: value, changedAt: Timestamp(milliseconds: changedAt), device: device, rev: seq)
                }
            }
            // The stored JSON is spliced into the page as the SQLite store does, so both write the same bytes.
            let items = itemRows.map { row in
                let current = embedded[row.id] ?? [:]
                return StoredItem(json: row.json, revision: row.revision, read: current[.read], starred: current[.starred])
            }
            return ChangePage(items: items, deleted: deleted, states: states,
                              nextToken: ChangeToken(epoch: counters.epoch, sequence: next), hasMore: hasMore)
        }
    }

    /// A push holds its account's lock while it judges, and the `server_state` lock only from taking its
    /// sequence numbers to the commit: pushes of different accounts judge in parallel, and a push whose
    /// marks all lose or repeat takes no sequence number and never waits for the global lock.
    public func push(account: String, key: String, body: Data, request: Result<PushRequest, PushRejection>,
                     policy: ConflictPolicy, clock: PushClock) async throws -> StoredResponse {
        try await Self.unwrappingTransactionErrors { try await client.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                try await Self.lock(account: account, connection, logger: logger)
                // Numbers handed out before the global lock are provisional, far above any real one.
                var writer = Writer(connection: connection, logger: logger,
                                    counters: ServerCounters(sequence: PushBatch.provisionalBase, epoch: 0))
                for try await (storedBody, status, response) in try await writer.query("""
                    SELECT request_body, response_status, response_body FROM idempotency_record
                    WHERE account = \(account) AND key = \(key)
                    """).decode((Data, Int, Data).self) {
                    guard storedBody == body else { throw PushRejection.keyReusedWithDifferentBody }
                    return StoredResponse(status: status, body: response)
                }
                let mutations = try request.get().mutations
                guard mutations.count <= Endpoint.maxMutationsPerPush else {
                    throw PushRejection.tooManyMutations(mutations.count)
                }
                var batch = try await PushBatch.load(&writer, account: account, mutations: mutations)
                var counts = AccountCounters()
                var results: [MutationResult] = []
                for mutation in mutations {
                    let result = batch.judge(mutation, policy: policy, clock: clock, writer: &writer)
                    counts.count(result.status)
                    results.append(result)
                }
                let taken = writer.counters.sequence - PushBatch.provisionalBase
                if taken > 0 {
                    var last: Int64?
                    for try await sequence in try await writer.query("""
                        UPDATE server_state SET sequence = sequence + \(taken) WHERE id = 1 RETURNING sequence
                        """).decode(Int64.self) {
                        last = sequence
                    }
                    guard let last else { throw PostgresStoreError.missingServerState }
                    batch.renumber(&results, by: last - taken - PushBatch.provisionalBase)
                }
                // Each result is encoded once (as the SQLite store does): stored with its mutation id and
                // spliced into the response.
                let encoded = results.map(FeedStore.encoded)
                try await batch.store(&writer, account: account, results: results, encoded: encoded)
                try await writer.query("""
                    INSERT INTO account_counters (account, mutations_applied, mutations_duplicate, mutations_conflict)
                    VALUES (\(account), \(counts.applied), \(counts.duplicate), \(counts.conflict))
                    ON CONFLICT (account) DO UPDATE SET
                        mutations_applied = account_counters.mutations_applied + excluded.mutations_applied,
                        mutations_duplicate = account_counters.mutations_duplicate + excluded.mutations_duplicate,
                        mutations_conflict = account_counters.mutations_conflict + excluded.mutations_conflict
                    """)
                var json = WireJSONWriter(capacity: encoded.reduce(64) { $0 + $1.utf8.count + 1 })
                json.pushResponse(serverTime: clock.serverNow, results: encoded)
                let response = StoredResponse(status: 200, body: Data(json.bytes))
                try await writer.query("""
                    INSERT INTO idempotency_record (account, key, request_body, response_status, response_body)
                    VALUES (\(account), \(key), \(body), \(response.status), \(response.body))
                    """)
                return response
            }
        } }
    }

    /// One push judged in memory between a few set-wise statements: what the push's mutations touch is read
    /// once (seen ids, live articles, current states), each mutation is judged in order exactly as
    /// `FeedStore.judge` does one at a time, and the new states and seen ids are written in one statement
    /// each. Every statement runs in the writer's transaction, under its lock.
    struct PushBatch {
        /// Where provisional sequence numbers start: above any real one, so a mark judged against a state
        /// this push just wrote counts as concurrent, exactly as against a real new number.
        static let provisionalBase: Int64 = 1 << 62

        var seen: Set<String> = []
        var live: Set<String> = []
        var states: [String: StateRecord] = [:]
        /// The states to store, by "article|field", in the order first changed.
        var changed: [String: (article: String, field: StateField)] = [:]
        /// The mutation ids this push judges (not duplicates), by index into its results.
        var judged: [Int] = []
        private var count = 0

        static func key(_ article: String, _ field: StateField) -> String { article + "|" + field.rawValue }

        static func load(_ writer: inout Writer, account: String, mutations: [Mutation]) async throws -> PushBatch {
            var batch = PushBatch()
            let ids = mutations.map(\.mutationID)
            let articles = Array(Set(mutations.map(\.articleID)))
            for try await id in try await writer.query("""
                SELECT mutation_id FROM seen_mutation WHERE account = \(account) AND mutation_id = ANY(\(ids))
                """).decode(String.self) {
                batch.seen.insert(id)
            }
            for try await id in try await writer.query("""
                SELECT id FROM article WHERE NOT deleted AND id = ANY(\(articles))
                """).decode(String.self) {
                batch.live.insert(id)
            }
            for try await (article, fieldName, value, changedAt, device, seq) in try await writer.query("""
                SELECT article_id, field, value, changed_at, device, seq FROM field_state
                WHERE account = \(account) AND article_id = ANY(\(articles))
                """).decode((String, String, Bool, Int64, String, Int64).self) {
                guard let field = StateField(rawValue: fieldName) else { continue }
                batch.states[key(article, field)] = StateRecord(
                    value: value, changedAt: Timestamp(milliseconds: changedAt), device: device, rev: seq)
            }
            return batch
        }

        mutating func judge(_ mutation: Mutation, policy: ConflictPolicy, clock: PushClock,
                            writer: inout Writer) -> MutationResult {
            defer { count += 1 }
            let rule = mutation.rule ?? policy.rule(for: mutation.field)
            let key = Self.key(mutation.articleID, mutation.field)
            let current = states[key]
            var result = MutationResult(mutationID: mutation.mutationID, articleID: mutation.articleID,
                                        field: mutation.field, status: .applied, state: current, rule: rule)
            if seen.contains(mutation.mutationID) {
                result.status = .duplicate
                return result
            }
            if !live.contains(mutation.articleID) {
                result.status = .gone
                result.state = nil
            } else {
                let concurrent = current.map { mutation.baseRev < $0.rev } ?? false
                let (incoming, adjustment) = clock.judged(mutation.fieldState)
                result.clockAdjustedMs = adjustment
                let verdict = rule.resolve(incoming: incoming, current: current?.fieldState, concurrent: concurrent)
                if verdict.winner == .incoming {
                    let stored = StateRecord(incoming, rev: writer.nextSequence())
                    states[key] = stored
                    changed[key] = (mutation.articleID, mutation.field)
                    result.state = stored
                } else {
                    result.status = .conflict
                }
            }
            seen.insert(mutation.mutationID)
            judged.append(count)
            return result
        }

        /// Moves provisional sequence numbers onto the real ones taken under the global lock.
        mutating func renumber(_ results: inout [MutationResult], by offset: Int64) {
            for key in changed.keys where states[key]!.rev > Self.provisionalBase {
                states[key]!.rev += offset
            }
            for index in results.indices {
                if let rev = results[index].state?.rev, rev > Self.provisionalBase {
                    results[index].state!.rev = rev + offset
                }
            }
        }

        func store(_ writer: inout Writer, account: String, results: [MutationResult], encoded: [String]) async throws {
            if !changed.isEmpty {
                let rows = changed.values.map { ($0.article, $0.field, states[Self.key($0.article, $0.field)]!) }
                try await writer.query("""
                    INSERT INTO field_state (account, article_id, field, value, changed_at, device, seq)
                    SELECT \(account), * FROM unnest(\(rows.map(\.0))::text[], \(rows.map(\.1.rawValue))::text[],
                        \(rows.map(\.2.value))::boolean[], \(rows.map(\.2.changedAt.milliseconds))::bigint[],
                        \(rows.map(\.2.device))::text[], \(rows.map(\.2.rev))::bigint[])
                    ON CONFLICT (account, article_id, field) DO UPDATE SET
                        value = excluded.value, changed_at = excluded.changed_at, device = excluded.device, seq = excluded.seq
                    """)
            }
            let newSeen = judged.map { index in
                (id: results[index].mutationID, status: results[index].status.rawValue, json: encoded[index])
            }
            if !newSeen.isEmpty {
                try await writer.query("""
                    INSERT INTO seen_mutation (account, mutation_id, status, result_json)
                    SELECT \(account), * FROM unnest(\(newSeen.map(\.id))::text[], \(newSeen.map(\.status))::text[],
                        \(newSeen.map(\.json))::text[])
                    """)
            }
        }
    }

    public func publish(_ items: [FeedItem]) async throws -> [PublishedRevision] {
        try await write { writer in try await Self.publish(&writer, items) }
    }

    static func publish(_ writer: inout Writer, _ items: [FeedItem]) async throws -> [PublishedRevision] {
        let encoder = WireCoding.encoder()
        var published: [PublishedRevision] = []
        for item in items {
            var stored = item
            stored.briefing = nil
            let json = String(decoding: try encoder.encode(stored), as: UTF8.self)
            let seq = writer.nextSequence()
            var revision: Int64 = 1
            for try await current in try await writer.query("SELECT revision FROM article WHERE id = \(item.id)")
                .decode(Int64.self) {
                revision = current + 1
            }
            try await writer.query("""
                INSERT INTO article (id, item_json, title, revision, content_seq, deleted, deleted_seq)
                VALUES (\(item.id), \(json), \(item.title), \(revision), \(seq), FALSE, NULL)
                ON CONFLICT (id) DO UPDATE SET item_json = excluded.item_json, title = excluded.title,
                    revision = excluded.revision, content_seq = excluded.content_seq, deleted = FALSE, deleted_seq = NULL
                """)
            published.append(PublishedRevision(id: item.id, revision: revision))
        }
        return published
    }

    public func delete(ids: [String]) async throws -> (deleted: [String], unknown: [String]) {
        let outcome = try await write { writer in
            var deleted: [String] = [], unknown: [String] = []
            for id in ids {
                var isDeleted: Bool?
                for try await value in try await writer.query("SELECT deleted FROM article WHERE id = \(id)").decode(Bool.self) {
                    isDeleted = value
                }
                guard let isDeleted else {
                    unknown.append(id)
                    continue
                }
                if !isDeleted {
                    let seq = writer.nextSequence()
                    try await writer.query("UPDATE article SET deleted = TRUE, deleted_seq = \(seq) WHERE id = \(id)")
                }
                deleted.append(id)
            }
            return DeleteOutcome(deleted: deleted, unknown: unknown)
        }
        return (outcome.deleted, outcome.unknown)
    }

    public func record(_ mark: DeviceMark, account: String, policy: ConflictPolicy,
                       clock: PushClock) async throws -> DeviceMarkResult {
        try await write(account: account) { writer in
            guard try await writer.isLive(article: mark.id) else { return DeviceMarkResult(status: .gone, state: nil) }
            let current = try await writer.state(account: account, article: mark.id, field: mark.field)
            let concurrent = current.map { current in mark.baseRev.map { $0 < current.rev } ?? false } ?? false
            let (incoming, adjustment) = clock.judged(mark.fieldState)
            let verdict = policy.rule(for: mark.field)
                .resolve(incoming: incoming, current: current?.fieldState, concurrent: concurrent)
            guard verdict.winner == .incoming else {
                return DeviceMarkResult(status: .conflict, state: current, clockAdjustedMs: adjustment)
            }
            let stored = try await writer.storeState(account: account, article: mark.id, field: mark.field,
                                                     state: incoming)
            return DeviceMarkResult(status: .applied, state: stored, clockAdjustedMs: adjustment)
        }
    }

    public func snapshot(account: String) async throws -> ServerSnapshot {
        try await read { connection, counters in
            var pushes = AccountCounters()
            for try await (applied, duplicate, conflict) in try await connection.query("""
                SELECT mutations_applied, mutations_duplicate, mutations_conflict FROM account_counters
                WHERE account = \(account)
                """, logger: self.logger).decode((Int64, Int64, Int64).self) {
                pushes = AccountCounters(applied: applied, duplicate: duplicate, conflict: conflict)
            }
            var states: [String: [StateField: FieldState]] = [:]
            for try await (id, fieldName, value, changedAt, device) in try await connection.query("""
                SELECT article_id, field, value, changed_at, device FROM field_state WHERE account = \(account)
                """, logger: self.logger).decode((String, String, Bool, Int64, String).self) {
                guard let field = StateField(rawValue: fieldName) else { continue }
                states[id, default: [:]][field] = FieldState(value: value, changedAt: Timestamp(milliseconds: changedAt),
                                                             device: device)
            }
            var articles: [ServerSnapshot.ArticleState] = []
            // COLLATE "C": the byte order SQLite sorts TEXT in, so both stores list articles alike.
            for try await (id, title, revision, deleted) in try await connection.query("""
                SELECT id, title, revision, deleted FROM article ORDER BY id COLLATE "C"
                """, logger: self.logger).decode((String, String?, Int64, Bool).self) {
                articles.append(ServerSnapshot.ArticleState(id: id, title: title, revision: revision, deleted: deleted,
                                                            read: states[id]?[.read], starred: states[id]?[.starred]))
            }
            var adjusted: Int64 = 0
            for try await count in try await connection.query("""
                SELECT count(*) FROM seen_mutation
                WHERE account = \(account) AND (result_json::jsonb -> 'clock_adjusted_ms') IS NOT NULL
                """, logger: self.logger).decode(Int64.self) {
                adjusted = count
            }
            return ServerSnapshot(articles: articles, mutationsApplied: pushes.applied,
                                  mutationsDuplicate: pushes.duplicate, mutationsConflict: pushes.conflict,
                                  mutationsClockAdjusted: adjusted, sequence: counters.sequence)
        }
    }

    public func expireTokens() async throws {
        try await write { writer in
            _ = try await writer.query("UPDATE server_state SET token_epoch = token_epoch + 1 WHERE id = 1")
        }
    }

    public func reset(seeds: [FeedItem], generated: Int) async throws {
        try await write { writer in
            for statement: PostgresQuery in [
                "DELETE FROM field_state", "DELETE FROM article", "DELETE FROM seen_mutation",
                "DELETE FROM idempotency_record", "DELETE FROM account_counters",
                "UPDATE server_state SET token_epoch = token_epoch + 1 WHERE id = 1",
            ] {
                try await writer.query(statement)
            }
            writer.counters.sequence = 0
            _ = try await Self.publish(&writer, seeds)
            try await Self.publishGenerated(&writer, count: generated)
        }
    }

    public func publishGenerated(count: Int) async throws {
        try await write { writer in try await Self.publishGenerated(&writer, count: count) }
    }

    /// Publishes `GeneratedArticles` `0..<count` at revision 1, a thousand rows per statement, as
    /// `FeedStore.publishGenerated` does: only for a store without articles (the ids are new).
    static func publishGenerated(_ writer: inout Writer, count: Int) async throws {
        guard count > 0 else { return }
        let encoder = WireCoding.encoder()
        for start in stride(from: 0, to: count, by: 1000) {
            let items = (start..<min(start + 1000, count)).map { GeneratedArticles.item($0) }
            let json = try items.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
            let sequences = items.map { _ in writer.nextSequence() }
            try await writer.query("""
                INSERT INTO article (id, item_json, title, revision, content_seq, deleted, deleted_seq)
                SELECT id, json, title, 1, seq, FALSE, NULL
                FROM unnest(\(items.map(\.id))::text[], \(json)::text[], \(items.map { $0.title ?? "" })::text[],
                            \(sequences)::bigint[]) AS t(id, json, title, seq)
                """)
        }
    }
}

/// A `--database` value that is not a usable `postgres://user@host[:port]/database` URL.
public struct PostgresURLError: Error, CustomStringConvertible {
    public var url: String
    public var description: String {
        "'\(Self.redacted(url))' is not a PostgreSQL URL (postgres://user[:password]@host[:port]/database)"
    }

    /// The URL without its password, for messages.
    public static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "***"
        return parts.string ?? url
    }
}

enum PostgresStoreError: Error {
    /// The `server_state` row is gone: the database was changed behind the server's back.
    case missingServerState
}

private struct DeleteOutcome: Sendable {
    var deleted: [String]
    var unknown: [String]
}

