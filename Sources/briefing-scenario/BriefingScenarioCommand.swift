import ArgumentParser
import BriefingModel
import BriefingScenario
import Foundation
import Logging

@main
enum Main {
    /// Parses and runs the command; usage errors are one line, `briefing-scenario: error: …`, exit 64.
    static func main() async {
        // The sync engine's log lines (e.g. a resync note) would break into the timeline; what a scenario
        // needs to show comes from the client's events, conflict log and the server's counters.
        LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
        do {
            var command = try BriefingScenarioCommand.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            let code = BriefingScenarioCommand.exitCode(for: error)
            if code == .success {
                print(BriefingScenarioCommand.fullMessage(for: error))
                exit(0)
            }
            let message = BriefingScenarioCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "bad arguments"
            fail(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message, code.rawValue)
        }
    }
}

struct BriefingScenarioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "briefing-scenario",
        abstract: "Runs sync conflict scenarios written in YAML against a Briefing server.",
        discussion: """
            briefing-scenario \(BriefingVersion.current). The format is described in Schema/scenarios/README.md.

            Exit codes: 0 every scenario passed, 1 an expectation failed (or a step could not run), 64 bad \
            arguments, 65 a scenario file is malformed (FILE:LINE:COLUMN: message), 73 cannot write a report.
            """,
        version: BriefingVersion.current,
        subcommands: [Run.self, Check.self])
}

/// Where the runner finds `briefing-mock-server` and `briefing`: beside its own executable.
private func binDirectory() -> URL {
    if let dir = ProcessInfo.processInfo.environment["BRIEFING_BIN_DIR"] { return URL(fileURLWithPath: dir) }
    return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
}

/// Prints `briefing-scenario: error: …` and exits with `code`.
func fail(_ message: String, _ code: Int32) -> Never {
    FileHandle.standardError.write(Data("briefing-scenario: error: \(message)\n".utf8))
    exit(code)
}

/// Every `*.yaml`/`*.yml` file named, directories expanded (sorted), parsed; the first bad file exits 65.
private func loadScenarios(_ paths: [String]) -> [Scenario] {
    var files: [String] = []
    for path in paths {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { fail("no such file or directory: \(path)", 66) }
        if isDirectory.boolValue {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            files += names.map { (path as NSString).appendingPathComponent($0) }
        } else {
            files.append(path)
        }
    }
    guard !files.isEmpty else { fail("no scenario files (*.yaml) in \(paths.joined(separator: " "))", 66) }
    var scenarios: [Scenario] = []
    for file in files {
        do {
            scenarios.append(try ScenarioParser.parse(file: file))
        } catch {
            fail(error.description, 65)
        }
    }
    var names: [String: String] = [:]
    for scenario in scenarios {
        if let other = names[scenario.name] { fail("\(scenario.file): scenario name '\(scenario.name)' is also used by \(other)", 65) }
        names[scenario.name] = scenario.file
    }
    return scenarios
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run scenario files (or every *.yaml in a directory) and print their timelines.",
        discussion: """
            Without --server each scenario gets its own briefing-mock-server on 127.0.0.1 (a free port); with \
            --server the scenarios run against that server through the protocol and its admin API only, as a \
            conformance suite (a scenario that needs a restart or a server policy then fails, saying why). \
            --exclude NAME leaves a scenario out on purpose: it is listed as EXCLUDED and counted as excluded \
            in the summary line, never dropped silently.
            """)

    @Argument(help: ArgumentHelp("Scenario files or directories.", valueName: "file|dir"))
    var paths: [String]

    @Option(help: ArgumentHelp("A running server to test instead of starting one.", valueName: "url"))
    var server: String?

    @Flag(help: "Print the results as one JSON object instead of the text timeline.")
    var json = false

    @Option(help: ArgumentHelp("Also write JUnit XML here.", valueName: "path"))
    var junit: String?

    @Option(help: ArgumentHelp("Also write the HTML timeline here (one self-contained file).", valueName: "path"))
    var html: String?

    @Option(help: "Seed of the retry jitter, to replay a run.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp(
        "Do not run the scenario named NAME (repeatable; e.g. one needing a restart against --server). It is listed as EXCLUDED and counted in the summary.",
        valueName: "name"))
    var exclude: [String] = []

    func validate() throws {
        if let server {
            guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw ValidationError("--server must be an http(s) URL, got '\(server)'")
            }
        }
    }

    func run() async throws {
        let loaded = loadScenarios(paths)
        if let unknown = exclude.first(where: { name in !loaded.contains { $0.name == name } }) {
            fail("--exclude \(unknown): no scenario of that name in \(paths.joined(separator: " "))", 64)
        }
        let excluded = loaded.filter { exclude.contains($0.name) }
        let scenarios = loaded.filter { !exclude.contains($0.name) }
        // Said before the run and in the summary line, on stderr with --json (whose stdout is one object).
        for scenario in excluded {
            let line = "EXCLUDED \(scenario.name) (\(scenario.file)): --exclude"
            if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
        }
        var options = ScenarioRunner.Options(binDirectory: binDirectory(), serverURL: server.flatMap(URL.init(string:)), seed: seed)
        options.seed = seed
        let runner = ScenarioRunner(options: options)
        let json = self.json
        let results = await runner.run(scenarios) { result in
            if !json { print(TextReport.render(result)) }
        }
        if json {
            guard let data = try? JSONReport.render(results) else { fail("cannot encode the JSON report", 70) }
            FileHandle.standardOutput.write(data)
            print()
        } else {
            var summary = TextReport.summary(results)
            if !excluded.isEmpty {
                summary += ", \(excluded.count) excluded (" + excluded.map(\.name).joined(separator: ", ") + ")"
            }
            print(summary)
        }
        if let junit { write(JUnitReport.render(results), to: junit) }
        if let html { write(HTMLTimeline.render(results), to: html) }
        if results.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }

    private func write(_ text: String, to path: String) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            fail("cannot write \(path): \(error.localizedDescription)", 73)
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse scenario files without running them (exit 65 naming the line of the first error).")

    @Argument(help: ArgumentHelp("Scenario files or directories.", valueName: "file|dir"))
    var paths: [String]

    func run() throws {
        let scenarios = loadScenarios(paths)
        print("\(scenarios.count) scenario\(scenarios.count == 1 ? "" : "s"), \(scenarios.reduce(0) { $0 + $1.steps.count }) steps: ok")
    }
}
