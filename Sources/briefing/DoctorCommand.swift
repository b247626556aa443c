import ArgumentParser
import Foundation
import BriefingModel
import BriefingStore
import BriefingSync
import BriefingText

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the store (integrity, schema, outbox, size, last sync) and optionally the server.",
        discussion: """
            Checks that SQLite finds the file sound, which migrations it has, that the outbox is consistent \
            (no mark left flagged in flight while no sync runs, no pending mark for an article the store \
            does not hold), its size, the last sync and the notes and warnings it printed, and that the \
            token file and CA file are readable. With --online it also asks the server: it answers, it \
            accepts the credentials, and TLS verifies (https).

            Exit codes: 0 all checks passed, 74 the store is damaged or inconsistent, 78 not initialised or \
            bad configuration (unreadable token or CA file, credentials refused), 69 the server is \
            unreachable or failing. With several problems the first of 74, 78, 69 is the exit code.
            """)

    @OptionGroup var options: StoreOptions
    @Flag(help: "Also check the server: reachable, credentials accepted, TLS verified.") var online = false

    /// One line of the report: a check's name, whether it passed, what it found, and the exit code it
    /// calls for when it did not pass.
    struct Finding {
        var check: String
        var ok: Bool
        var detail: String
        var status: ExitStatus = .ok
    }

    func run() async throws {
        try await guarded {
            let (store, settings) = try options.openInitialised()
            var findings = try storeFindings(store, settings)
            findings += configurationFindings(settings)
            if online { findings.append(await onlineFinding(settings)) }
            report(findings)
            let statuses = findings.filter { !$0.ok }.map(\.status)
            if let status = [ExitStatus.storeUnreadable, .configuration, .unavailable].first(where: statuses.contains) {
                throw ExitCode(status.rawValue)
            }
        }
    }

    private func storeFindings(_ store: BriefingStore, _ settings: SyncSettings) throws -> [Finding] {
        var findings: [Finding] = []
        let integrity = try store.integrityCheck()
        findings.append(Finding(check: "integrity", ok: integrity == "ok", detail: integrity, status: .storeUnreadable))
        let health = try store.health()
        let latest = health.migrations.last ?? "none"
        findings.append(Finding(check: "schema", ok: health.migrations == health.knownMigrations,
                                detail: "\(health.migrations.count) migration\(health.migrations.count == 1 ? "" : "s"), latest \(latest)",
                                status: .storeUnreadable))
        let (syncRunning, inFlight) = try inFlightMarks(store)
        let pending = try store.status().pending
        var outbox = "\(pending) pending mark\(pending == 1 ? "" : "s")"
        if syncRunning {
            findings.append(Finding(check: "outbox", ok: true, detail: outbox + ", \(inFlight) in flight (a sync is running)"))
        } else if inFlight > 0 {
            outbox += ", \(inFlight) flagged in flight while no sync runs (left by a killed sync; the next sync sends them again)"
            findings.append(Finding(check: "outbox", ok: false, detail: outbox, status: .storeUnreadable))
        } else {
            findings.append(Finding(check: "outbox", ok: true, detail: outbox + ", none in flight"))
        }
        if health.pendingWithoutArticle > 0 {
            findings.append(Finding(check: "outbox", ok: false,
                                    detail: "\(health.pendingWithoutArticle) pending mark\(health.pendingWithoutArticle == 1 ? "" : "s") for articles the store does not hold",
                                    status: .storeUnreadable))
        }
        findings.append(Finding(check: "size", ok: true, detail: Self.size(health.bytes)))
        let messages = try store.lastSyncMessages()
        let lastSync = settings.lastSync.map { time in
            time.rfc3339 + (messages.isEmpty ? ", no notes or warnings" : ": " + messages.joined(separator: "; "))
        } ?? "never"
        findings.append(Finding(check: "last sync", ok: true, detail: lastSync))
        return findings
    }

    /// Marks flagged in flight, counted while holding the sync lock so that no sync starts and flags
    /// marks meanwhile; when a sync holds the lock, its marks are in flight rightly.
    private func inFlightMarks(_ store: BriefingStore) throws -> (syncRunning: Bool, count: Int) {
        let lease: SyncLease
        do {
            lease = try store.acquireSyncLease()
        } catch .syncInProgress {
            return (true, try store.health().inFlight)
        }
        defer { lease.release() }
        return (false, try store.health().inFlight)
    }

    private func configurationFindings(_ settings: SyncSettings) -> [Finding] {
        var findings = [Finding(check: "server", ok: settings.isConfigured,
                                detail: settings.serverURL.map { "\($0) (\(settings.serverKind?.rawValue ?? "unknown kind"))" }
                                    ?? "none: run 'briefing init --server URL'",
                                status: .configuration)]
        for (name, path) in [("token file", settings.tokenFile), ("CA file", settings.caFile)] {
            guard let path else { continue }
            let readable = FileManager.default.isReadableFile(atPath: path)
            findings.append(Finding(check: name, ok: readable, detail: readable ? path : "cannot read \(path)", status: .configuration))
        }
        return findings
    }

    /// Asks the server what `init` asked: whether it answers, accepts the credentials, and (https) verifies.
    private func onlineFinding(_ settings: SyncSettings) async -> Finding {
        guard let server = settings.serverURL, let url = URL(string: server) else {
            return Finding(check: "online", ok: false, detail: "no server configured", status: .configuration)
        }
        do {
            let (timeout, budget) = networkLimits(timeout: nil, retryBudget: nil, settings: settings)
            let transport = try makeTransport(caFile: settings.caFile, timeout: timeout, budget: budget)
            let token = try readToken(file: settings.tokenFile)
            let kind = try await ServerProbe.kind(of: url, transport: transport, bearerToken: token)
            var detail = "answers as \(kind == .briefing ? "a Briefing server" : "a JSON Feed")"
            detail += token == nil ? ", no credentials sent" : ", credentials accepted"
            detail += url.scheme?.lowercased() == "https" ? ", TLS verified" : ", plain http (no TLS)"
            if kind != settings.serverKind {
                return Finding(check: "online", ok: false,
                               detail: detail + "; the store was set up for a \(settings.serverKind?.rawValue ?? "different") source: run init again",
                               status: .configuration)
            }
            return Finding(check: "online", ok: true, detail: detail)
        } catch let error as SyncError {
            if case .unauthorized = error { return Finding(check: "online", ok: false, detail: error.description, status: .configuration) }
            return Finding(check: "online", ok: false, detail: error.description, status: .unavailable)
        } catch let failure as Failure {
            return Finding(check: "online", ok: false, detail: failure.message, status: .configuration)
        } catch {
            return Finding(check: "online", ok: false, detail: "\(error)", status: .unavailable)
        }
    }

    private func report(_ findings: [Finding]) {
        if options.json {
            options.emit(.object([
                ("ok", .bool(findings.allSatisfy(\.ok))),
                ("checks", .array(findings.map { finding in
                    .object([("check", .string(finding.check)), ("ok", .bool(finding.ok)), ("detail", .string(finding.detail))])
                })),
            ]))
            return
        }
        for finding in findings {
            let status = finding.ok ? "ok" : "PROBLEM"
            print(TerminalText.sanitize(finding.check.padding(toLength: 11, withPad: " ", startingAt: 0)
                                        + status.padding(toLength: 9, withPad: " ", startingAt: 0) + finding.detail,
                                        singleLine: true))
        }
        let problems = findings.filter { !$0.ok }.count
        print(problems == 0 ? "all checks passed" : "\(problems) problem\(problems == 1 ? "" : "s") found")
    }

    private static func size(_ bytes: Int64) -> String {
        bytes < 1 << 20 ? "\((bytes + 1023) / 1024) KB" : String(format: "%.1f MB", Double(bytes) / Double(1 << 20))
    }
}
