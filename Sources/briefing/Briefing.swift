import ArgumentParser
import Foundation
import BriefingModel
import BriefingStore
import BriefingSync

/// Runs the CLI with `transport` as the transport of every networked command: `briefing` passes libcurl's,
/// `briefing-urlsession` URLSession's. The commands live in this library so that the two executables share
/// them and `briefing` need not link FoundationNetworking (see docs/BENCHMARKS.md, "Start-up").
public func runBriefing(transport: @escaping BaseTransport.Factory) async {
    BaseTransport.chosen.set(transport)
    await Briefing.main()
}

/// The transport under the retries and the trace, as the executable chose it: set once, before any
/// command runs. (Not a task-local: `TaskLocal.withValue` crashes in the runtime of a binary linked with
/// `-static-stdlib`, which the release build is.)
public enum BaseTransport {
    public typealias Factory = @Sendable (TransportConfiguration) -> any Transport

    static let chosen = Choice()

    static var make: Factory? { chosen.factory }

    final class Choice: @unchecked Sendable {
        private let lock = NSLock()
        private var _factory: Factory?

        func set(_ factory: @escaping Factory) { lock.withLock { _factory = factory } }
        var factory: Factory? { lock.withLock { _factory } }
    }
}

struct Briefing: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "briefing",
        abstract: "An offline-first news briefing: read, mark and search articles locally; sync when online.",
        discussion: """
            briefing \(BriefingVersion.current).

            The store is one SQLite file: --db PATH, else $BRIEFING_DB, else \
            $XDG_DATA_HOME/briefing/briefing.sqlite (~/.local/share/briefing/briefing.sqlite).
            Start with 'briefing init --server URL', then 'briefing sync'. Reading and marking work offline; \
            marks are pushed on the next sync.

            Exit codes: 0 ok, 64 usage, 65 malformed data from the server, 66 unknown article, \
            69 server unreachable or failing, 70 internal error, 73 cannot create an output file, \
            74 store unreadable, corrupt, read-only (for a command that writes), disk full or I/O error, \
            75 temporary (store busy, another sync running), 77 authentication refused, 78 not initialised \
            or bad configuration.

            Messages go to stderr as 'briefing: note: …', 'briefing: warning: …' and 'briefing: error: …'; \
            every command takes -q/--quiet (errors only) and -v/--verbose (debug messages, retry decisions).
            """,
        version: BriefingVersion.current,
        // Every subcommand names itself (`commandName:`): without it ArgumentParser derives the name with
        // `String(describing:)` of the type, whose protocol-conformance look-ups scanned the whole binary and
        // were 45 % of the instructions of `briefing list` (docs/BENCHMARKS.md, "Start-up").
        subcommands: [
            Init.self, Sync.self, List.self, Show.self, Mark.self, Search.self, Status.self,
            Conflicts.self, Prune.self, Import.self, Export.self, ImportState.self, Config.self, Doctor.self,
        ]
    )

    /// Parses (a bad command line is one `briefing: error: …` line and exit 64), routes swift-log to
    /// `Messages` at the chosen verbosity, then runs the command.
    static func main() async {
        await parseAndRun()
    }

    /// Off the main actor, so the parsed command is never sent across an isolation boundary.
    nonisolated static func parseAndRun() async {
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }  // --help, --version
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "bad arguments"
            printError(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message)
            Foundation.exit(64)
        }
        do {
            let verbosity = (command as? StoreCommand)?.options.messages
            Messages.bootstrap(level: verbosity?.level ?? .info, detailed: verbosity?.verbose ?? false)
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// A command working on a store: every subcommand.
protocol StoreCommand {
    var options: StoreOptions { get }
}

extension Init: StoreCommand {}
extension Sync: StoreCommand {}
extension List: StoreCommand {}
extension Show: StoreCommand {}
extension Mark: StoreCommand {}
extension Search: StoreCommand {}
extension Status: StoreCommand {}
extension Conflicts: StoreCommand {}
extension Prune: StoreCommand {}
extension Import: StoreCommand {}
extension Export: StoreCommand {}
extension ImportState: StoreCommand {}
extension Config: StoreCommand {}
extension Doctor: StoreCommand {}

/// Options every command takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store file (env BRIEFING_DB).", valueName: "path"))
    var db: String?

    @Flag(name: .long, help: "Print JSON (snake_case keys) instead of text.")
    var json = false

    @OptionGroup var messages: VerbosityOptions

    /// The store path: --db, $BRIEFING_DB, $XDG_DATA_HOME/briefing/briefing.sqlite, ~/.local/share/….
    var path: String {
        let environment = ProcessInfo.processInfo.environment
        if let db, !db.isEmpty { return db }
        if let db = environment["BRIEFING_DB"], !db.isEmpty { return db }
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return data + "/briefing/briefing.sqlite"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/briefing/briefing.sqlite"
    }

    func open(create: Bool = false) throws -> BriefingStore {
        try BriefingStore.open(path: path, create: create)
    }

    /// Opens the store and requires that `init` (or `import`) set it up.
    func openInitialised() throws -> (BriefingStore, SyncSettings) {
        let store = try open()
        guard let settings = try store.settings() else {
            throw StoreError.notInitialised(path: path)
        }
        return (store, settings)
    }

    func emit(_ value: JSON) {
        print(value.encoded)
    }
}

/// This device's wall clock. `BRIEFING_CLOCK_SKEW_MS` shifts it, to reproduce a device whose clock runs
/// fast or slow (the hybrid clock keeps such a device's marks ordered after what it has seen).
func deviceClock() -> Timestamp {
    let skew = ProcessInfo.processInfo.environment["BRIEFING_CLOCK_SKEW_MS"].flatMap(Int64.init) ?? 0
    return Timestamp(milliseconds: Timestamp.now.milliseconds + skew)
}
