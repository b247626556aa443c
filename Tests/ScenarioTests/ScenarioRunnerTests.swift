import BriefingScenario
import BriefingTestSupport
import Foundation
import Testing

/// A scenario file written for one test.
func writeScenario(_ text: String, in directory: TemporaryDirectory, name: String = "case.yaml") throws -> String {
    let path = directory.path(name)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

let wrongExpectation = """
    # Pins down: nothing — its expectation is deliberately wrong.
    name: deliberately-wrong
    server:
      articles: [{id: gen-1, title: General news}]
    devices: [phone]
    steps:
      - sync: phone
      - mark: {device: phone, action: read, articles: [gen-1]}
      - sync: phone
      - expect:
          phone: {articles: {gen-1: {read: false}}}
          server: {articles: {gen-1: {read: false}}}

    """

@Suite("briefing-scenario runs, fails and reports", .serialized)
struct ScenarioRunnerTests {
    @Test func aWrongExpectationExits1WithExpectedAndActualAndTheStepsThatLedThere() throws {
        let directory = try TemporaryDirectory()
        let file = try writeScenario(wrongExpectation, in: directory)
        let result = try run("briefing-scenario", ["run", file])
        #expect(result.status == 1, "\(result.out)\n\(result.err)")
        #expect(result.out.contains("FAIL deliberately-wrong: expectation failed at \(file):10:5"), "\(result.out)")
        #expect(result.out.contains("""
                phone gen-1 read
                  expected: false
                  actual:   true
            """), "\(result.out)")
        #expect(result.out.contains("server gen-1 read\n      expected: false\n      actual:   true (by phone at "), "\(result.out)")
        #expect(result.out.contains("the steps that led there:\n    [1] sync phone (\(file):7:5)\n    [2] phone: mark read gen-1 (\(file):8:5)"), "\(result.out)")
        #expect(result.out.contains("scenarios: 0 passed, 1 failed (deliberately-wrong)"))
    }

    @Test(arguments: [
        ("devices: [phone]\nsteps:\n  - sync: phone\n  - mark: {device: phone, action: read, articels: [a]}\n", 4, "unknown key 'articels'"),
        ("devices: [phone]\nsteps:\n  - sync: tablet\n", 3, "unknown device 'tablet'"),
        ("devices: [phone]\nsteps:\n  - sync: phone\n  - sleep: 5 minutes\n", 4, "must be a duration"),
        ("devices: [phone]\nsteps:\n  - sync: [phone\n  - sync: phone\n", 4, "not valid YAML"),
        ("devices: [phone]\nsteps:\n  - expect:\n      phone: {pending: many}\n", 4, "must be a whole number"),
    ])
    func aBrokenScenarioFileExits65NamingItsLineAndColumn(_ text: String, _ line: Int, _ message: String) throws {
        let directory = try TemporaryDirectory()
        let file = try writeScenario(text, in: directory)
        let result = try run("briefing-scenario", ["run", file])
        #expect(result.status == 65, "\(result.err)")
        #expect(result.err.hasPrefix("briefing-scenario: error: \(file):\(line):"), "\(result.err)")
        #expect(result.err.contains(message), "\(result.err)")
        #expect(result.err.split(separator: "\n").count == 1, "\(result.err)")
        #expect(result.out.isEmpty)
    }

    @Test func anExcludedScenarioIsListedAndCountedNotRun() throws {
        let directory = try TemporaryDirectory()
        let file = try writeScenario(wrongExpectation, in: directory)
        let result = try run("briefing-scenario", ["run", file, "--exclude", "deliberately-wrong"])
        #expect(result.status == 0, "\(result.out)\n\(result.err)")
        #expect(result.out == "EXCLUDED deliberately-wrong (\(file)): --exclude\nscenarios: 0 passed, 0 failed, 1 excluded (deliberately-wrong)\n")
    }

    @Test func excludingAScenarioThatIsNotThereExits64() throws {
        let result = try run("briefing-scenario", ["run", libraryDirectory.path, "--exclude", "no-such-scenario"])
        #expect(result.status == 64, "\(result.err)")
        #expect(result.err.hasPrefix("briefing-scenario: error: --exclude no-such-scenario: no scenario of that name"), "\(result.err)")
    }

    @Test func badArgumentsExit64WithOneLine() throws {
        let result = try run("briefing-scenario", ["run", "--server", "not a url", libraryDirectory.path])
        #expect(result.status == 64, "\(result.err)")
        #expect(result.err == "briefing-scenario: error: --server must be an http(s) URL, got 'not a url'\n")
    }

    @Test func theHTMLTimelineRendersInAHeadlessBrowserWithoutScriptErrorsAndEscapesTitles() throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let browser = try #require(chromium, "chromium is not installed (Tools/setup installs it)")
        let directory = try TemporaryDirectory()
        // A title that would run script if it were not escaped, and a scenario that fails.
        let conflict = try writeScenario("""
            # Pins down: the HTML timeline's conflict highlight and escaping.
            name: html-conflict
            server:
              articles: [{id: gen-1, title: "<img src=x onerror=\\"document.body.setAttribute('data-injected','1')\\">"}]
            devices: [phone, tablet]
            steps:
              - sync: all
              - mark: {device: phone, action: read, articles: [gen-1]}
              - sleep: 20ms
              - mark: {device: tablet, action: read, articles: [gen-1]}
              - mark: {device: tablet, action: unread, articles: [gen-1]}
              - sync: [tablet, phone]
              - publish: {id: gen-2, title: "</table><script>document.body.setAttribute('data-injected','2')</script>"}
              - expect: {converged: false}

            """, in: directory, name: "a.yaml")
        let failing = try writeScenario(wrongExpectation, in: directory, name: "b.yaml")
        let html = directory.path("timeline.html")
        let result = try run("briefing-scenario", ["run", conflict, failing, "--html", html])
        #expect(result.status == 1, "\(result.out)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(!page.contains("<img src=x"))
        #expect(!page.contains("http://") && !page.contains("https://"), "the page must not load anything")
        let dom = try run(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                    "--user-data-dir=\(directory.path("profile"))", "--dump-dom", "file://\(html)"], timeout: 120)
        // Chromium prints start-up noise on stderr; only the DOM on stdout counts.
        #expect(dom.status == 0, "\(dom.err.suffix(2000))")
        #expect(dom.out.contains("data-timeline=\"ready\""), "no ready marker: \(dom.out.prefix(400)) \(dom.err.suffix(1000))")
        #expect(!dom.out.contains("data-timeline=\"error\""))
        #expect(dom.out.contains("data-scenarios=\"2\""))
        #expect(dom.out.contains("data-failed=\"1\""))
        #expect(!dom.out.contains("data-conflicts=\"0\""), "the conflict is highlighted")
        #expect(!dom.out.contains("data-injected="), "a title ran as markup")
        #expect(dom.out.contains("last-writer-wins"))
        let shot = directory.path("timeline.png")
        let screenshot = try run(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                           "--user-data-dir=\(directory.path("profile2"))", "--screenshot=\(shot)",
                                           "--window-size=1200,900", "file://\(html)"], timeout: 120)
        #expect(screenshot.status == 0, "\(screenshot.err.suffix(2000))")
        let size = (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
        #expect(size > 10_000, "the screenshot is \(size) bytes")
    }

    @Test func jsonOutputCarriesEveryEventAndTheConflictSides() throws {
        let file = libraryDirectory.appendingPathComponent("lww-later-mark-wins.yaml").path
        let result = try run("briefing-scenario", ["run", file, "--json"])
        #expect(result.status == 0, "\(result.err)")
        let report = try #require(try result.json() as? [String: Any])
        #expect(report["passed"] as? Int == 1)
        let scenario = try #require((report["scenarios"] as? [[String: Any]])?.first)
        let events = try #require(scenario["events"] as? [[String: Any]])
        let conflict = try #require(events.first { $0["kind"] as? String == "conflict" }?["conflict"] as? [String: Any])
        #expect((conflict["winner"] as? String)?.hasPrefix("tablet's unread (") == true)
        #expect((conflict["loser"] as? String)?.hasPrefix("phone's read (") == true)
        #expect(conflict["rule"] as? String == "last-writer-wins")
    }
}
