import Testing
import BriefingModel

private func state(_ value: Bool, _ ms: Int64, _ device: String) -> FieldState {
    FieldState(value: value, changedAt: Timestamp(milliseconds: ms), device: device)
}

/// One row per situation: every rule against every shape of conflict. The same table is the spec the
/// client and the mock server both implement by calling `ConflictRule.resolve`.
struct ConflictRuleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var rule: ConflictRule
        var incoming: FieldState
        var current: FieldState?
        var concurrent: Bool
        var winner: ConflictSide
        var conflict: Bool
        var testDescription: String {
            "\(rule.rawValue) incoming=\(incoming.value)@\(incoming.changedAt.milliseconds)/\(incoming.device) "
                + "current=\(current.map { "\($0.value)@\($0.changedAt.milliseconds)/\($0.device)" } ?? "none") "
                + "concurrent=\(concurrent) → \(winner.rawValue)"
        }
    }

    static let cases: [Case] = [
        // Nothing on the server yet: any rule applies the write.
        Case(rule: .lastWriterWins, incoming: state(true, 10, "a"), current: nil, concurrent: false, winner: .incoming, conflict: false),
        Case(rule: .serverWins, incoming: state(true, 10, "a"), current: nil, concurrent: true, winner: .incoming, conflict: false),
        // Last writer wins: time decides, then device id, whatever `concurrent` says.
        Case(rule: .lastWriterWins, incoming: state(false, 10, "a"), current: state(true, 20, "b"), concurrent: true, winner: .current, conflict: true),
        Case(rule: .lastWriterWins, incoming: state(false, 30, "a"), current: state(true, 20, "b"), concurrent: true, winner: .incoming, conflict: true),
        Case(rule: .lastWriterWins, incoming: state(false, 20, "a"), current: state(true, 20, "b"), concurrent: true, winner: .current, conflict: true),
        Case(rule: .lastWriterWins, incoming: state(false, 20, "c"), current: state(true, 20, "b"), concurrent: true, winner: .incoming, conflict: true),
        Case(rule: .lastWriterWins, incoming: state(true, 30, "a"), current: state(false, 20, "b"), concurrent: false, winner: .incoming, conflict: false),
        Case(rule: .lastWriterWins, incoming: state(true, 10, "a"), current: state(true, 20, "b"), concurrent: true, winner: .current, conflict: false),
        // Server wins: only a concurrent server change beats the client.
        Case(rule: .serverWins, incoming: state(true, 30, "a"), current: state(false, 20, "b"), concurrent: true, winner: .current, conflict: true),
        Case(rule: .serverWins, incoming: state(true, 30, "a"), current: state(false, 20, "b"), concurrent: false, winner: .incoming, conflict: false),
        // Client wins: always.
        Case(rule: .clientWins, incoming: state(false, 10, "a"), current: state(true, 20, "b"), concurrent: true, winner: .incoming, conflict: true),
        Case(rule: .clientWins, incoming: state(true, 10, "a"), current: state(false, 20, "b"), concurrent: false, winner: .incoming, conflict: false),
        // Read wins: true beats false when concurrent, whatever the times; equal values fall to time.
        Case(rule: .readWins, incoming: state(true, 10, "a"), current: state(false, 20, "b"), concurrent: true, winner: .incoming, conflict: true),
        Case(rule: .readWins, incoming: state(false, 30, "a"), current: state(true, 20, "b"), concurrent: true, winner: .current, conflict: true),
        Case(rule: .readWins, incoming: state(false, 30, "a"), current: state(true, 20, "b"), concurrent: false, winner: .incoming, conflict: false),
        Case(rule: .readWins, incoming: state(true, 10, "a"), current: state(true, 20, "b"), concurrent: true, winner: .current, conflict: false),
    ]

    @Test(arguments: cases)
    func ruleTable(_ c: Case) {
        let verdict = c.rule.resolve(incoming: c.incoming, current: c.current, concurrent: c.concurrent)
        #expect(verdict.winner == c.winner)
        #expect(verdict.isConflict == c.conflict)
        #expect(verdict.rule == c.rule)
    }

    @Test func lastWriterWinsPicksTheSameWinnerFromEitherSide() {
        let a = state(true, 20, "a"), b = state(false, 20, "b")
        let fromA = ConflictRule.lastWriterWins.resolve(incoming: a, current: b, concurrent: true)
        let fromB = ConflictRule.lastWriterWins.resolve(incoming: b, current: a, concurrent: true)
        #expect(fromA.winner == .current)
        #expect(fromB.winner == .incoming)
    }

    @Test func policyParsesFieldRuleItems() throws {
        let policy = try ConflictPolicy(parsing: ["read=read-wins", "starred=server-wins", "read=lww"])
        #expect(policy.rule(for: .read) == .lastWriterWins)
        #expect(policy.rule(for: .starred) == .serverWins)
        #expect(policy.items == ["read=last-writer-wins", "starred=server-wins"])
    }

    @Test(arguments: ["read", "title=lww", "read=newest", "=lww"])
    func policyRejectsMalformedItems(_ item: String) {
        #expect(throws: PolicyError.self) { try ConflictPolicy(parsing: [item]) }
    }
}

struct HybridClockTests {
    @Test func neverIssuesATimeBeforeOneItObserved() {
        var clock = HybridClock()
        let serverTime = Timestamp(milliseconds: 1_000_000)
        clock.observe(serverTime)
        let slowWall = Timestamp(milliseconds: 1_000_000 - 2 * 86_400_000)
        let first = clock.tick(wallClock: slowWall)
        let second = clock.tick(wallClock: slowWall)
        #expect(first > serverTime)
        #expect(second > first)
    }

    @Test func followsTheWallClockWhenItIsAhead() {
        var clock = HybridClock(latest: Timestamp(milliseconds: 5))
        #expect(clock.tick(wallClock: Timestamp(milliseconds: 100)) == Timestamp(milliseconds: 100))
    }
}

struct TimestampTests {
    @Test(arguments: [
        ("2026-11-29T08:15:00.123Z", Int64(1_795_940_100_123)),
        ("2026-11-29T08:15:00Z", Int64(1_795_940_100_000)),
        ("2026-11-29T08:15Z", Int64(1_795_940_100_000)),
        ("2026-11-29T09:15:00.1234567+01:00", Int64(1_795_940_100_123)),
        ("2026-11-29T08:15:00", Int64(1_795_940_100_000)),
        ("2026-11-29 08:15:00z", Int64(1_795_940_100_000)),
        ("1969-12-31T23:59:59.999Z", Int64(-1)),
    ])
    func parsesRFC3339Leniently(_ text: String, _ ms: Int64) {
        #expect(Timestamp(rfc3339: text)?.milliseconds == ms)
    }

    @Test(arguments: ["", "yesterday", "2026-13-01T00:00:00Z", "2026-11-29T25:00:00Z", "2026-11-29T08:15:00.Z"])
    func rejectsWhatIsNotADate(_ text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func formatsWithMillisecondsInUTC() {
        #expect(Timestamp(milliseconds: 1_795_940_100_007).rfc3339 == "2026-11-29T08:15:00.007Z")
        #expect(Timestamp(milliseconds: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
    }
}
