import Dispatch
import Foundation
import BriefingKit
import BriefingText
#if canImport(Glibc)
import Glibc
#endif

/// `sync --watch`: a sync now and then every interval, backing off after failures, until SIGINT/SIGTERM.
///
/// The signals are taken by `DispatchSource` signal sources (no code runs in a signal handler): a signal
/// cancels the Task of the running sync — which stops between pages, with every committed page and its
/// token kept — or the wait between rounds. Then pending marks are pushed once, if the server answers,
/// and the command exits 0. A second signal cancels that push too.
struct Watch {
    let command: Sync
    let store: BriefingStore
    let settings: SyncSettings

    /// The first wait after a failure, and the longest one, before `interval` is taken into account.
    static let firstBackoff: Double = 15
    static let longestBackoff: Double = 900

    func run() async throws {
        let interval = command.interval ?? 300
        let (timeout, budget) = networkLimits(timeout: command.timeout, retryBudget: command.retryBudget, settings: settings)
        let token = try readToken(file: settings.tokenFile)
        let client = BriefingClient(store: store,
                                    transport: try makeTransport(caFile: settings.caFile, timeout: timeout, budget: budget,
                                                                 trace: command.trace, bearerToken: token),
                                    bearerToken: token, clock: { deviceClock() })
        let warnings = Task { await ProgressLine.follow(client.events, showing: false) }
        defer { warnings.cancel() }
        let stop = StopSignal()
        let sources = [SIGINT, SIGTERM].map { number in stop.listen(to: number) }
        defer { sources.forEach { $0.cancel() } }
        let status = StatusLine(enabled: stderrIsTerminal && !Messages.isQuiet)
        Messages.debug("watching \(command.options.path): every \(Self.seconds(interval)) s")

        var failures = 0
        while !stop.requested {
            let said = Messages.recorded.count
            let round = Task { () async throws -> SyncReport in try await client.sync(full: false, pageSize: command.pageSize) }
            stop.whileRunning { round.cancel() }
            let outcome = await round.result
            stop.whileRunning(nil)
            if stop.requested { break }
            let wait: Double
            switch outcome {
            case .success(let report):
                failures = 0
                wait = interval
                FeedWarnings.summarize(report)
                try? store.saveLastSyncMessages(Array(Messages.recorded.dropFirst(said)))
                if !(status.enabled && stdoutIsTerminal) { printRound(report) }
                status.show("synced at \(Self.clock()): \(reportLine(report)); next in \(Self.seconds(wait)) s")
            case .failure(SyncError.cancelled):
                continue
            case .failure(let error):
                if let fatal = Self.endsTheWatch(error) {
                    status.clear()
                    throw fatal
                }
                failures += 1
                wait = Self.backoff(afterFailures: failures, interval: interval)
                let message = (error as? SyncError)?.cliFailure.message ?? "\(error)"
                status.clear()
                Messages.warning("sync failed: \(message); next try in \(Self.seconds(wait)) s")
                status.show("failed at \(Self.clock()): \(message); next try in \(Self.seconds(wait)) s")
            }
            let pause = Task { try? await Task.sleep(for: .seconds(wait)) }
            stop.whileRunning { pause.cancel() }
            await pause.value
            stop.whileRunning(nil)
        }
        status.clear()
        await pushOnStop(client, stop: stop)
    }

    /// After a stop signal: pending marks out once, without waiting long for a server that does not answer.
    private func pushOnStop(_ client: BriefingClient, stop: StopSignal) async {
        guard (try? store.status().pending) != 0 else { return }
        stop.rearm()
        let push = Task { () async throws -> SyncReport in try await client.pushPendingMarks() }
        stop.whileRunning { push.cancel() }
        switch await push.result {
        case .success(let report):
            Messages.note("stopping: pushed \(report.pushed) pending mark\(report.pushed == 1 ? "" : "s")")
        case .failure(let error):
            let message = (error as? SyncError)?.cliFailure.message ?? "\(error)"
            Messages.note("stopping: pending marks stay for the next sync (\(message))")
        }
    }

    private func printRound(_ report: SyncReport) {
        if command.options.json {
            print(reportJSON(report).line)
        } else {
            print("\(Timestamp.now.rfc3339) \(reportLine(report))")
        }
        flushStandardOutput()
    }

    /// Errors retrying cannot heal: the watch ends with them as `sync` would.
    static func endsTheWatch(_ error: Error) -> Error? {
        guard let error = error as? SyncError else { return error }
        switch error.cliFailure.status {
        case .authentication, .configuration, .storeUnreadable, .internalError: return error
        default: return nil
        }
    }

    /// The wait after the `failures`-th failure in a row: from 15 s (or the interval, if shorter), doubling,
    /// up to 15 minutes (or the interval, if longer).
    static func backoff(afterFailures failures: Int, interval: Double) -> Double {
        let first = min(firstBackoff, interval)
        let longest = max(longestBackoff, interval)
        return min(longest, first * pow(2, Double(min(failures - 1, 30))))
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    /// `HH:MM:SS` in UTC.
    static func clock() -> String {
        String(Timestamp.now.rfc3339.dropFirst(11).prefix(8))
    }
}

/// Whether SIGINT/SIGTERM arrived, and what to cancel when one does.
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var stopped = false
    private var cancel: (() -> Void)?

    var requested: Bool { lock.withLock { stopped } }

    /// Ignores `number`'s default action and delivers it through a dispatch source instead.
    func listen(to number: Int32) -> DispatchSourceSignal {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { [self] in request() }
        source.resume()
        return source
    }

    /// Sets what a signal cancels; if one already came, cancels it at once.
    func whileRunning(_ cancel: (() -> Void)?) {
        let now: (() -> Void)? = lock.withLock {
            self.cancel = cancel
            return stopped ? cancel : nil
        }
        now?()
    }

    /// Forgets the signal that came, so that only a further one cancels what runs next.
    func rearm() {
        lock.withLock { stopped = false }
    }

    private func request() {
        let cancel = lock.withLock {
            stopped = true
            return self.cancel
        }
        cancel?()
    }
}

/// One line on a terminal's stderr, rewritten in place.
struct StatusLine {
    let enabled: Bool

    func show(_ text: String) {
        guard enabled else { return }
        writeStandardError("\r" + TerminalText.sanitize(String(text.prefix(150)), singleLine: true) + "\u{1B}[K")
    }

    func clear() {
        guard enabled else { return }
        writeStandardError("\r\u{1B}[K")
    }
}
