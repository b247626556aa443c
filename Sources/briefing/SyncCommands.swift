import ArgumentParser
import Foundation
import BriefingKit
import BriefingProtocol
import Logging
#if canImport(Glibc)
import Glibc
#endif

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Point the store at a server: a Briefing protocol base URL or a plain JSON Feed URL.",
        discussion: """
            The kind of server is told from its answer: a Briefing server answers GET {URL}/v1/changes with \
            a JSON Feed page carrying _briefing data; anything else must be a JSON Feed document at URL \
            itself. The bearer token comes from --token-file or $BRIEFING_TOKEN and is never stored in the \
            database or printed. Plain http:// is allowed only to loopback addresses unless \
            --allow-insecure-http. A store that holds articles from another server is switched only with \
            --force, which empties it.
            """)

    @OptionGroup var options: StoreOptions
    @Option(help: "The server's base URL, or a JSON Feed URL.") var server: String
    @Option(help: "This device's name in the conflict log (default: HOST-xxxx).") var device: String?
    @Option(help: "A file holding the bearer token.") var tokenFile: String?
    @Option(help: ArgumentHelp("A conflict rule: read|starred = last-writer-wins|server-wins|client-wins|read-wins.",
                               valueName: "field=rule"))
    var policy: [String] = []
    @Option(help: "Extra CA certificates (PEM) to trust for this server.") var caFile: String?
    @Flag(help: "Allow plain http:// to non-loopback hosts.") var allowInsecureHTTP = false
    @Flag(help: "Switch a populated store to another server, emptying it.") var force = false
    @Option(help: "Seconds to wait for the server.") var timeout: Double = 15

    func validate() throws {
        _ = try parsedPolicy()
        if let device, device.isEmpty || device.count > 200 { throw ValidationError("--device must be 1 to 200 characters") }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ValidationError("cannot read --ca-file \(caFile)")
        }
        if let tokenFile, !FileManager.default.isReadableFile(atPath: tokenFile) {
            throw ValidationError("cannot read --token-file \(tokenFile)")
        }
    }

    func parsedPolicy() throws -> ConflictPolicy {
        do {
            return try ConflictPolicy(parsing: policy)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        try await guarded {
            guard let url = URL(string: server), url.scheme != nil, url.host != nil else {
                throw Failure.usage("--server must be an absolute http(s) URL")
            }
            do {
                _ = try ServerURLPolicy.check(url, allowInsecureHTTP: allowInsecureHTTP)
            } catch {
                throw Failure.usage("\(error)")
            }
            let token = try readToken(file: tokenFile)
            // A store this init creates is removed again when the server cannot be reached or configuring
            // fails: a failed init leaves no file behind. A store that existed before is never removed.
            let existed = FileManager.default.fileExists(atPath: options.path)
            let store = try options.open(create: true)
            do {
                let previous = try store.settings()
                var settings = SyncSettings(device: device ?? previous?.device ?? defaultDeviceName())
                settings.tokenFile = tokenFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
                settings.caFile = caFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
                settings.allowInsecureHTTP = allowInsecureHTTP
                settings.policy = try parsedPolicy()
                let client = BriefingClient(store: store, transport: try makeTransport(caFile: settings.caFile, timeout: timeout, budget: timeout * 2),
                                            bearerToken: token, clock: { deviceClock() })
                switch try await client.connect(to: url, settings: settings, replacingContent: force) {
                case .connected(let kind):
                    settings.serverKind = kind
                case .refusedPopulated(let articles, let server):
                    throw Failure.config("store holds \(articles) articles from \(server ?? "another source"); use --force to empty it and switch")
                }
                report(settings, url: url)
            } catch {
                if !existed { removeStoreFiles(options.path) }
                throw error
            }
        }
    }

    private func report(_ settings: SyncSettings, url: URL) {
        if options.json {
            options.emit(.object([("server", .string(url.absoluteString)),
                                  ("server_kind", .string(settings.serverKind?.rawValue ?? "")),
                                  ("device", .string(settings.device)), ("db", .string(options.path))]))
        } else {
            print("initialised \(options.path) for \(settings.serverKind == .feed ? "JSON Feed" : "Briefing server") \(url.absoluteString) as device \(settings.device)")
        }
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Push pending marks, then pull what changed since the last sync.",
        discussion: """
            Each pulled page is committed with its change token, so an interrupted sync resumes where it \
            stopped. Failed requests are retried (Retry-After honoured, else exponential backoff with jitter) \
            until the retry budget runs out: then exit 69. Only one sync runs per store at a time (exit 75). \
            A plain JSON Feed is fetched with If-None-Match/If-Modified-Since (a 304 changes nothing), its \
            next_url pages followed once each; --full fetches it without them.

            The timeout and retry budget come from the flags, else $BRIEFING_TIMEOUT and \
            $BRIEFING_RETRY_BUDGET (seconds), else what 'briefing config' stored, else 30 and 60.

            --trace FILE (or - for stderr) writes one JSON line per HTTP attempt: time, method, url \
            (without user name or password), status, request_bytes, response_bytes, ms, attempt, decision \
            (final, retry or give-up), retry_in_s, and for pulls page, change_token, next_change_token and \
            has_more. The Authorization header and the bearer token are never written: attach the file to a \
            bug report. A trace file that cannot be created exits 73.

            --watch syncs now and then every --interval seconds (default 300), so marks made meanwhile by \
            any briefing process are pushed on the next round. After a failure it waits 15 s (or the \
            interval, if shorter), doubling with each further failure up to 15 minutes (or the interval, if \
            longer), and returns to the interval after a success; authentication, configuration and store \
            errors end it with their exit code. On a terminal a status line on stderr shows the last result; \
            otherwise each round prints its summary line (or JSON object, with --json) on stdout. SIGINT or \
            SIGTERM stops it between pages (every committed page stays), pushes pending marks once if the \
            server answers, and exits 0.
            """)

    @OptionGroup var options: StoreOptions
    @Flag(help: "Pull everything again from the beginning.") var full = false
    @Option(help: "Seconds allowed for one request (default 30, env BRIEFING_TIMEOUT).") var timeout: Double?
    @Option(help: "Seconds of retrying before giving up (default 60, env BRIEFING_RETRY_BUDGET).") var retryBudget: Double?
    @Option(help: ArgumentHelp("Write one JSON line per HTTP attempt to this file (- for stderr).", valueName: "file"))
    var trace: String?
    @Flag(help: "Keep syncing: now, then every --interval seconds, until SIGINT or SIGTERM.") var watch = false
    @Option(help: ArgumentHelp("Seconds between syncs with --watch (default 300).", valueName: "seconds"))
    var interval: Double?
    @Option(help: .hidden) var pageSize: Int?

    func validate() throws {
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if let retryBudget, retryBudget < 0 { throw ValidationError("--retry-budget must be 0 or more") }
        if let interval, !(interval > 0) { throw ValidationError("--interval must be positive") }
        if interval != nil && !watch { throw ValidationError("--interval needs --watch") }
    }

    func run() async throws {
        try await guarded {
            let (store, settings) = try options.openInitialised()
            guard settings.isConfigured else { throw StoreError.notInitialised(path: options.path) }
            if watch {
                return try await Watch(command: self, store: store, settings: settings).run()
            }
            let (timeout, budget) = networkLimits(timeout: timeout, retryBudget: retryBudget, settings: settings)
            Messages.debug("syncing \(options.path) with \(settings.serverURL ?? "-") as \(settings.device); "
                           + "timeout \(timeout) s, retry budget \(budget) s")
            let token = try readToken(file: settings.tokenFile)
            let client = BriefingClient(store: store,
                                        transport: try makeTransport(caFile: settings.caFile, timeout: timeout, budget: budget,
                                                                     trace: trace, bearerToken: token),
                                        bearerToken: token, clock: { deviceClock() })
            let showsProgress = stderrIsTerminal && !options.json && !Messages.isQuiet
            let progress = Task { await ProgressLine.follow(client.events, showing: showsProgress) }
            let report: SyncReport
            do {
                report = try await client.sync(full: full, pageSize: pageSize)
                progress.cancel()
            } catch {
                progress.cancel()
                if showsProgress { writeStandardError("\n") }
                throw error
            }
            if showsProgress { writeStandardError("\n") }
            try store.saveLastSyncMessages(Messages.recorded)
            if options.json {
                options.emit(reportJSON(report))
            } else {
                print(reportLine(report))
            }
        }
    }
}

/// `sync --json`'s object.
func reportJSON(_ report: SyncReport) -> JSON {
    .object([
        ("pushed", .int(report.pushed)), ("pulled", .int(report.pulled)), ("deleted", .int(report.deleted)),
        ("conflicts", .int(report.conflicts)), ("pages", .int(report.pages)),
        ("full_resync", .bool(report.fullResync)), ("states", .int(report.states)),
        ("archived", .int(report.archived)), ("not_modified", .bool(report.notModified)),
        ("push_requests", .int(report.pushRequests)),
    ])
}

/// `sync`'s summary line.
func reportLine(_ report: SyncReport) -> String {
    var line = "pushed \(report.pushed), pulled \(report.pulled) (\(report.pages) page\(report.pages == 1 ? "" : "s")), "
        + "\(report.states) state changes, deleted \(report.deleted), conflicts \(report.conflicts)"
    if report.archived > 0 { line += ", archived \(report.archived)" }
    if report.fullResync { line += ", full resync" }
    if report.notModified { line += ", feed not modified" }
    return line
}

/// The transport every networked command uses, with retries: the executable's (`BaseTransport`: libcurl in
/// `briefing`, URLSession in `briefing-urlsession`, which `briefing` runs instead of itself when
/// `BRIEFING_TRANSPORT=urlsession`, as the end-to-end tests do). Retry decisions are debug messages
/// (`--verbose`); with `trace` (a file, or - for stderr) every attempt is also written as a JSON line, with
/// `bearerToken` masked.
func makeTransport(caFile: String?, timeout: Double, budget: Double, trace: String? = nil,
                   bearerToken: String? = nil) throws -> any Transport {
    let configuration = TransportConfiguration(connectTimeout: min(10, timeout), requestTimeout: timeout, caFile: caFile)
    guard let make = BaseTransport.make else {
        preconditionFailure("no transport: the CLI runs through runBriefing(transport:)")
    }
    let base = make(configuration)
    let policy = RetryPolicy(budget: budget)
    let tracer = try trace.map { path in
        TraceTransport(base, output: try TraceTransport.open(path), policy: policy, bearerToken: bearerToken)
    }
    let logger = Logger(label: "briefing.retry")
    return RetryingTransport(tracer ?? base, policy: policy, observe: { decision in
        tracer?.decided(decision)
        if let line = RetryNarration.line(decision, policy: policy) { logger.debug("\(line)") }
    })
}

/// Seconds per request and of retrying: the flag, else $BRIEFING_TIMEOUT / $BRIEFING_RETRY_BUDGET, else
/// what `briefing config` stored, else 30 and 60.
func networkLimits(timeout: Double?, retryBudget: Double?, settings: SyncSettings) -> (timeout: Double, budget: Double) {
    let environment = ProcessInfo.processInfo.environment
    let timeout = timeout ?? environment["BRIEFING_TIMEOUT"].flatMap(Double.init) ?? settings.requestTimeout ?? 30
    let budget = retryBudget ?? environment["BRIEFING_RETRY_BUDGET"].flatMap(Double.init) ?? settings.retryBudget ?? 60
    return (timeout, budget)
}

/// Removes a store this process created, with SQLite's side files.
func removeStoreFiles(_ path: String) {
    for file in [path, path + "-wal", path + "-shm"] {
        try? FileManager.default.removeItem(atPath: file)
    }
}

/// The bearer token from a file (first line, trimmed) or $BRIEFING_TOKEN; nil when neither is set.
func readToken(file: String?) throws -> String? {
    if let file {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Failure.config("cannot read token file \(file)")
        }
        let token = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !token.isEmpty else { throw Failure.config("token file \(file) is empty") }
        return token
    }
    return ProcessInfo.processInfo.environment["BRIEFING_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
}

/// What `sync` makes of the client's events: the progress line it keeps on a terminal's stderr (when
/// `showing`), and warnings as `briefing: warning: …` messages.
enum ProgressLine {
    static func follow(_ events: AsyncStream<SyncEvent>, showing: Bool) async {
        for await event in events {
            switch event {
            case .pushSettled(_, let r), .pageCommitted(_, let r):
                guard showing else { continue }
                let phase = if case .pushSettled = event { "push" } else { "pull" }
                writeStandardError("\r\(phase): pushed \(r.pushed), pulled \(r.pulled) in \(r.pages) pages   ")
            case .warning(let text):
                if showing { writeStandardError("\n") }
                Messages.warning(text)
            case .conflictJudged:
                break
            }
        }
    }
}
