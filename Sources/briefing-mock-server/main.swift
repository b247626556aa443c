import ArgumentParser
import BriefingMockServer
import BriefingModel
import BriefingProtocol
import Foundation
import Hummingbird

/// The command line of the mock server: flags in, a running server out.
struct MockServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "briefing-mock-server",
        abstract: "Serves the Briefing sync protocol from seed feeds, with an admin API and fault injection.",
        discussion: """
            briefing-mock-server \(BriefingVersion.current).

            Prints `listening on http://HOST:PORT` as its first line (the real port with --port 0) and stops \
            cleanly on SIGTERM or SIGINT. The admin API (/admin/...) answers loopback clients only.

            --accounts FILE gives each bearer token an account: one `ACCOUNT TOKEN` pair per line (# comments), \
            mode 600 (refused when group or others may read it). Read/starred state is per account; articles \
            are shared. --database postgres://USER@HOST:PORT/DB keeps everything in PostgreSQL, which several \
            instances may share.

            Exit codes: 0 stopped by a signal, 64 bad flags, 65 malformed seed or accounts file, 66 unreadable \
            seeds directory or accounts file, 71 cannot listen on the address, 74 cannot open the store, 78 an \
            accounts file others may read.
            """,
        version: BriefingVersion.current)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 0

    @Option(help: ArgumentHelp("Directory of JSON Feed files (*.json) published when the store is empty.", valueName: "dir"))
    var seeds: String?

    @Option(help: ArgumentHelp("Also publish N generated articles (about 1.5 KB each, the same on every run) when the store is empty; for load tests.", valueName: "n"))
    var generate = 0

    @Option(help: ArgumentHelp("SQLite file that keeps the server's state across restarts (default: in memory).", valueName: "path"))
    var data: String?

    @Option(help: ArgumentHelp("PostgreSQL database that keeps the server's state, shareable by several instances (postgres://user@host:port/db).", valueName: "url"))
    var database: String?

    @Option(help: "Bearer token every protocol request must carry (one account).")
    var token: String?

    @Option(help: ArgumentHelp("File of `ACCOUNT TOKEN` lines (mode 600): each token's requests see that account's state.", valueName: "file"))
    var accounts: String?

    @Option(help: ArgumentHelp("Default page size of /v1/changes (1-1000).", valueName: "n"))
    var pageSize = 100

    @Option(name: .customLong("policy"),
            help: ArgumentHelp("Conflict rule for a field (read, starred), e.g. read=read-wins; repeatable.", valueName: "field=rule"))
    var policies: [String] = []

    @Option(help: ArgumentHelp("The maximum clock offset ε in whole seconds (default 60): a pushed changed_at from a clock further off is rebased or clamped.", valueName: "seconds"))
    var maxClockOffset: Int64 = ClockOffsetBound.default.milliseconds / 1000

    mutating func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0-65535, got \(port)") }
        guard (0...10_000_000).contains(generate) else { throw ValidationError("--generate must be 0-10000000, got \(generate)") }
        guard (1...1_000).contains(pageSize) else { throw ValidationError("--page-size must be 1-1000, got \(pageSize)") }
        if let token, token.isEmpty { throw ValidationError("--token must not be empty") }
        if data != nil, database != nil { throw ValidationError("--data and --database are two stores: give one") }
        if let database, !(database.hasPrefix("postgres://") || database.hasPrefix("postgresql://")) {
            throw ValidationError("--database must be a postgres:// URL, got '\(database)'")
        }
        guard (0...Int64(Int32.max)).contains(maxClockOffset) else {
            throw ValidationError("--max-clock-offset must be 0-\(Int32.max) seconds, got \(maxClockOffset)")
        }
        do {
            _ = try ConflictPolicy(parsing: policies)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// Prints one line on stderr and exits with `code`.
func fail(_ message: String, _ code: Int32) -> Never {
    FileHandle.standardError.write(Data("briefing-mock-server: error: \(message)\n".utf8))
    exit(code)
}

let command: MockServerCommand
do {
    command = try MockServerCommand.parse()
} catch {
    let code = MockServerCommand.exitCode(for: error)
    if code == .success {
        print(MockServerCommand.fullMessage(for: error))
        exit(0)
    }
    let message = MockServerCommand.message(for: error)
        .split(separator: "\n").first.map(String.init) ?? "bad arguments"
    fail(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message, 64)
}

var seeds: [FeedItem] = []
if let directory = command.seeds {
    do {
        seeds = try SeedFeeds.load(directory: directory)
    } catch {
        fail(error.description, error.isUnreadableDirectory ? 66 : 65)
    }
}

var accounts: [String: String]?
if let path = command.accounts {
    do {
        accounts = try AccountsFile.load(path: path)
    } catch {
        fail(error.description, error.exitCode)
    }
}

let service: MockFeedService
do {
    service = try await MockFeedService(configuration: MockServerConfiguration(
        host: command.host, port: command.port, seeds: seeds, generated: command.generate, dataPath: command.data,
        databaseURL: command.database, token: command.token, accounts: accounts, pageSize: command.pageSize,
        policy: try ConflictPolicy(parsing: command.policies),
        maxClockOffset: ClockOffsetBound(milliseconds: command.maxClockOffset * 1000)))
} catch {
    let store = command.database.map { " \(PostgresURLError.redacted($0))" } ?? command.data.map { " \($0)" } ?? ""
    let reason = command.database == nil ? String(describing: error) : PostgresFeedStore.describe(error)
    fail("cannot open the store\(store): \(reason.split(separator: "\n").first ?? "")", 74)
}

let app = MockServer.application(for: service) { host, port in
    let shown = host.contains(":") ? "[\(host)]" : host
    FileHandle.standardOutput.write(Data("listening on http://\(shown):\(port)\n".utf8))
}
do {
    try await app.runService()
} catch {
    // Almost always the address: in use, or not an address of this machine.
    fail("cannot serve on \(command.host):\(command.port): \(error)", 71)
}
