import BriefingTestSupport
import Foundation
import Testing

/// The repository's Schema/scenarios, found from this file.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let libraryDirectory = repositoryRoot.appendingPathComponent("Schema/scenarios")

var libraryFiles: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: libraryDirectory.path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted().map { libraryDirectory.appendingPathComponent($0).path }
}

/// The `name:` of a library file (every library file has one).
func scenarioName(_ path: String) -> String {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").first { $0.hasPrefix("name: ") }.map { String($0.dropFirst(6)) } ?? ""
}

/// Runs python3 with a script; (status, stdout, stderr).
func python(_ script: String, _ arguments: [String] = []) throws -> ProcessResult {
    try run("/usr/bin/env", ["python3", "-c", script] + arguments, timeout: 120)
}

@Suite("The scenario library", .serialized)
struct ScenarioLibraryTests {
    @Test func theLibraryHasAtLeastThirtyScenariosEachSayingWhatItPinsDown() throws {
        let files = libraryFiles
        #expect(files.count >= 30)
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.hasPrefix("# Pins down: "), "\(file) starts without its '# Pins down:' comment")
            #expect(!scenarioName(file).isEmpty, "\(file) has no name")
        }
    }

    @Test func protocolMdLinksEveryScenarioAndOnlyScenariosThatExist() throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("Schema/protocol.md"), encoding: .utf8)
        let linked = Set(text.matches(of: /\(scenarios\/([a-z0-9-]+\.yaml)\)/).map { String($0.output.1) })
        let files = Set(libraryFiles.map { URL(fileURLWithPath: $0).lastPathComponent })
        #expect(linked.subtracting(files).isEmpty, "linked but missing: \(linked.subtracting(files).sorted())")
        #expect(files.subtracting(linked).isEmpty, "not linked from protocol.md: \(files.subtracting(linked).sorted())")
    }

    @Test func everyLibraryScenarioPassesAgainstARunnerStartedServerAndJUnitListsThemAll() throws {
        let directory = try TemporaryDirectory()
        let junit = directory.path("junit.xml")
        let result = try run("briefing-scenario", ["run", libraryDirectory.path, "--junit", junit], timeout: 600)
        #expect(result.status == 0, "\(result.out.suffix(4000))\n\(result.err)")
        #expect(result.out.contains("scenarios: \(libraryFiles.count) passed, 0 failed"), "\(result.out.suffix(600))")
        // A real XML parser reads the JUnit file and finds one testcase per scenario, none failed.
        let parsed = try python("""
            import sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            cases = root.findall('.//testcase')
            print(len(root.findall('.//failure')))
            for case in cases: print(case.get('name'))
            """, [junit])
        #expect(parsed.status == 0, "\(parsed.err)")
        let lines = parsed.out.split(separator: "\n").map(String.init)
        #expect(lines.first == "0")
        #expect(Set(lines.dropFirst()) == Set(libraryFiles.map(scenarioName)))
    }

    @Test func theLibraryRunsAgainstASeparatelyStartedServerGivenWithServer() throws {
        let directory = try TemporaryDirectory()
        let server = try MockServerProcess(arguments: ["--data", directory.path("server.sqlite")])
        defer { server.stop() }
        let result = try run("briefing-scenario", ["run", libraryDirectory.path, "--server", server.baseURL.absoluteString, "--json"],
                             timeout: 600)
        let report = try #require(try result.json() as? [String: Any], "\(result.err)")
        let scenarios = try #require(report["scenarios"] as? [[String: Any]])
        #expect(scenarios.count == libraryFiles.count)
        // Only a scenario that restarts the server cannot run against one the runner does not control, and it
        // fails saying so — never skipped silently.
        let needsRestart = Set(libraryFiles.filter { (try? String(contentsOfFile: $0, encoding: .utf8))?.contains("- restart:") == true }
            .map(scenarioName))
        #expect(!needsRestart.isEmpty)
        for scenario in scenarios {
            let name = scenario["name"] as? String ?? "?"
            let failure = scenario["failure"] as? [String: Any]
            if needsRestart.contains(name) {
                #expect(result.status == 1)
                #expect((failure?["message"] as? String ?? "").contains("cannot restart a server given with --server"), "\(name): \(String(describing: failure))")
            } else {
                #expect(failure == nil, "\(name) failed against --server: \(String(describing: failure))")
            }
        }
    }
}
