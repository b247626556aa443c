import BriefingKit
import Foundation

extension ScenarioRun {
    /// Everything in `expectation` that does not hold, as expected/actual pairs (empty: all held).
    func check(_ expectation: Expectation) async throws -> [Mismatch] {
        var mismatches: [Mismatch] = []
        let state = try await serverState()
        for (name, expected) in expectation.devices {
            mismatches += try check(deviceNamed(name), expected)
        }
        if let expected = expectation.server {
            mismatches += check(state, expected)
        }
        if let converged = expectation.converged {
            let differences = try divergences(from: state)
            if converged, !differences.isEmpty {
                mismatches.append(Mismatch(subject: "converged", expected: "every device equals the server",
                                           actual: differences.joined(separator: "; ")))
            } else if !converged, differences.isEmpty {
                mismatches.append(Mismatch(subject: "converged", expected: "some device differs from the server",
                                           actual: "every device equals the server"))
            }
        }
        return mismatches
    }

    private func check(_ device: ScenarioDevice, _ expected: DeviceExpectation) throws -> [Mismatch] {
        var mismatches: [Mismatch] = []
        let articles = try device.articles()
        let prefix = device.name
        for (id, want) in expected.articles {
            let have = articles[id]
            let presence: Presence = have == nil ? .absent : (have!.archived ? .archived : .present)
            if let wanted = want.presence, wanted != presence {
                mismatches.append(Mismatch(subject: "\(prefix) \(id)", expected: wanted.rawValue, actual: presence.rawValue))
            }
            guard let have else {
                if want.read != nil || want.starred != nil || want.title != nil, want.presence == nil {
                    mismatches.append(Mismatch(subject: "\(prefix) \(id)", expected: "present", actual: "absent"))
                }
                continue
            }
            if let read = want.read, read != have.read {
                mismatches.append(Mismatch(subject: "\(prefix) \(id) read", expected: String(read), actual: String(have.read)))
            }
            if let starred = want.starred, starred != have.starred {
                mismatches.append(Mismatch(subject: "\(prefix) \(id) starred", expected: String(starred), actual: String(have.starred)))
            }
            if let title = want.title, title != (have.title ?? "") {
                mismatches.append(Mismatch(subject: "\(prefix) \(id) title", expected: quoted(title), actual: quoted(have.title ?? "")))
            }
        }
        if let pending = expected.pending {
            let count = try device.store.pendingMarks().count
            if count != pending {
                mismatches.append(Mismatch(subject: "\(prefix) pending", expected: String(pending), actual: String(count)))
            }
        }
        let log = try device.store.conflicts()
        if let count = expected.conflictCount, count != log.count {
            mismatches.append(Mismatch(subject: "\(prefix) conflict log entries", expected: String(count),
                                       actual: "\(log.count)" + (log.isEmpty ? "" : ": " + log.map { describe($0, device) }.joined(separator: "; "))))
        }
        if let entries = expected.conflicts {
            var unused = log
            for entry in entries {
                if let index = unused.firstIndex(where: { matches($0, entry, device) }) {
                    unused.remove(at: index)
                } else {
                    mismatches.append(Mismatch(subject: "\(prefix) conflict log", expected: describe(entry),
                                               actual: log.isEmpty ? "no entries" : log.map { describe($0, device) }.joined(separator: "; ")))
                }
            }
        }
        if let warnings = expected.warnings {
            for text in warnings where !device.warnings.contains(where: { $0.localizedCaseInsensitiveContains(text) }) {
                mismatches.append(Mismatch(subject: "\(prefix) warnings", expected: "a warning containing \(quoted(text))",
                                           actual: device.warnings.isEmpty ? "no warnings" : device.warnings.map { quoted(safeLine($0)) }.joined(separator: "; ")))
            }
        }
        if expected.noWarnings == true, !device.warnings.isEmpty {
            mismatches.append(Mismatch(subject: "\(prefix) warnings", expected: "none",
                                       actual: device.warnings.map { quoted(safeLine($0)) }.joined(separator: "; ")))
        }
        return mismatches
    }

    private func matches(_ record: ConflictRecord, _ entry: ConflictExpectation, _ device: ScenarioDevice) -> Bool {
        guard record.articleID == entry.article else { return false }
        if let field = entry.field, field != record.field { return false }
        if let rule = entry.rule, rule != record.rule { return false }
        let winning = record.winner == .local ? record.local : record.server
        if let winner = entry.winner {
            let side = record.winner.rawValue
            let author = winning.device ?? (record.winner == .local ? device.name : "server")
            if winner != side && winner != author { return false }
        }
        if let value = entry.value, winning.value != String(value) { return false }
        return true
    }

    private func describe(_ entry: ConflictExpectation) -> String {
        var parts = ["article \(entry.article)"]
        if let field = entry.field { parts.append("field \(field)") }
        if let winner = entry.winner { parts.append("winner \(winner)") }
        if let rule = entry.rule { parts.append("rule \(rule)") }
        if let value = entry.value { parts.append("value \(value)") }
        return "an entry with " + parts.joined(separator: ", ")
    }

    private func describe(_ record: ConflictRecord, _ device: ScenarioDevice) -> String {
        let winning = record.winner == .local ? record.local : record.server
        let author = winning.device ?? (record.winner == .local ? device.name : "server")
        return "\(safeLine(record.articleID, limit: 60)) \(record.field): winner \(record.winner.rawValue) (\(safeLine(author, limit: 40)), \(winning.value)) by \(record.rule)"
    }

    private func check(_ state: ServerState, _ expected: ServerExpectation) -> [Mismatch] {
        var mismatches: [Mismatch] = []
        for (id, want) in expected.articles {
            let have = state.article(id)
            let presence: Presence = (have == nil || have!.deleted) ? .absent : .present
            if let wanted = want.presence, wanted != presence {
                mismatches.append(Mismatch(subject: "server \(id)", expected: wanted.rawValue, actual: presence.rawValue))
            }
            guard let have else { continue }
            for (field, value, by) in [(StateField.read, want.read, want.readBy), (.starred, want.starred, want.starredBy)] {
                let current = have.state(field)
                if let value, value != (current?.value ?? false) {
                    mismatches.append(Mismatch(subject: "server \(id) \(field.rawValue)", expected: String(value),
                                               actual: current.map { "\($0.value) (by \(safeLine($0.device, limit: 40)) at \(ClockText.time($0.changedAt)))" } ?? "never set (false)"))
                }
                if let by, by != current?.device {
                    mismatches.append(Mismatch(subject: "server \(id) \(field.rawValue) written by", expected: by,
                                               actual: current.map { safeLine($0.device, limit: 40) } ?? "nobody"))
                }
            }
            if let title = want.title, title != (have.title ?? "") {
                mismatches.append(Mismatch(subject: "server \(id) title", expected: quoted(title), actual: quoted(have.title ?? "")))
            }
            if let revision = want.revision, revision != have.revision {
                mismatches.append(Mismatch(subject: "server \(id) revision", expected: String(revision),
                                           actual: have.revision.map(String.init) ?? "none"))
            }
        }
        for (name, value) in expected.counters {
            let actual = state.counters[name]
            if actual != value {
                mismatches.append(Mismatch(subject: "server mutations_\(name)", expected: String(value),
                                           actual: actual.map(String.init) ?? "not reported"))
            }
        }
        return mismatches
    }

    /// How each device differs from the server: a live article missing or with another read/starred value,
    /// an article the server no longer has that is not archived, or marks still pending.
    private func divergences(from state: ServerState) throws -> [String] {
        var differences: [String] = []
        let live = state.articles.filter { !$0.deleted }
        for spec in scenario.devices {
            let device = deviceNamed(spec.name)
            let articles = try device.articles()
            for article in live {
                guard let have = articles[article.id] else {
                    differences.append("\(spec.name) lacks \(article.id)")
                    continue
                }
                for (field, local) in [(StateField.read, have.read), (.starred, have.starred)] {
                    let server = article.state(field)?.value ?? false
                    if local != server { differences.append("\(spec.name) \(article.id) \(field.rawValue) \(local), server \(server)") }
                }
            }
            let liveIDs = Set(live.map(\.id))
            for (id, summary) in articles where !liveIDs.contains(id) && !summary.archived {
                differences.append("\(spec.name) still holds \(safeLine(id, limit: 60)), which the server does not")
            }
            let pending = try device.store.pendingMarks().count
            if pending > 0 { differences.append("\(spec.name) has \(pending) pending") }
        }
        return differences
    }

    private func quoted(_ text: String) -> String { "\"\(safeLine(text, limit: 80))\"" }
}
