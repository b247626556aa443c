import BriefingKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ScenarioRun {
    /// Runs the real `briefing sync` on the device's store and SIGKILLs it at `point`; then checks the store.
    func kill(_ device: ScenarioDevice, at point: KillPoint) async throws {
        let trace = directory.appendingPathComponent("\(device.name)-kill-\(stepIndex).jsonl").path
        try await server.admin("DELETE", "/admin/faults")
        // Hold the request after the kill point at the server, so the kill lands there.
        let holdMs = point == .duringPush ? 1_500 : 600
        switch point {
        case .afterPages(let pages):
            try await server.admin("POST", "/admin/faults", ["kind": "delay", "delay_ms": holdMs, "path": "/v1/changes", "count": 1 + pages] as [String: Any])
        case .duringPush:
            try await server.admin("POST", "/admin/faults", ["kind": "delay", "delay_ms": holdMs, "path": "/v1/mutations"] as [String: Any])
        }
        let process = Process()
        process.executableURL = options.binDirectory.appendingPathComponent("briefing")
        var arguments = ["sync", "--db", device.storePath, "--trace", trace, "--timeout", "10", "--retry-budget", "10", "--quiet"]
        if let pageSize = scenario.server.pageSize { arguments += ["--page-size", String(pageSize)] }
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["BRIEFING_CLOCK_SKEW_MS"] = String(device.clock.offsetMs)
        environment.removeValue(forKey: "BRIEFING_DB")
        environment.removeValue(forKey: "BRIEFING_TOKEN")
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var killed = false
        var probes = 0
        while process.isRunning, Date() < deadline {
            switch point {
            case .afterPages(let pages):
                if pulledPages(trace) >= pages {
                    // The page's commit follows its answer closely; the next page is held at the server.
                    try await Task.sleep(for: .milliseconds(200))
                    killed = true
                }
            case .duringPush:
                // The delay fault is taken when the push reaches the server: arming a probe fault on a path no
                // request uses answers how many uses are still pending (held push fault + probes so far).
                probes += 1
                let answer = try await server.admin("POST", "/admin/faults", ["kind": "delay", "delay_ms": 0, "path": "/never-requested"] as [String: Any]) as? [String: Any]
                if (answer?["pending"] as? Int ?? 0) <= probes {
                    try await Task.sleep(for: .milliseconds(holdMs / 3))
                    killed = true
                }
            }
            if killed {
                Glibc.kill(process.processIdentifier, SIGKILL)
                break
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        process.waitUntilExit()
        if point == .duringPush {
            // The server still judges the push it was holding when its client died. Wait until it has, so that
            // push lands in this scenario — against a `--server` shared by the whole library it would otherwise
            // be applied after the next scenario's reset, to that scenario's articles and counters.
            try await Task.sleep(for: .milliseconds(holdMs + 300))
        }
        try await server.admin("DELETE", "/admin/faults")
        guard killed, process.terminationReason == .uncaughtSignal else {
            throw ScenarioRunError("briefing sync ended (status \(process.terminationStatus)) before the kill point \(point)")
        }
        let integrity = try device.store.integrityCheck()
        let status = try device.store.status()
        let where_ = { () -> String in
            switch point {
            case .afterPages(let pages): return "after \(pages) page\(pages == 1 ? "" : "s") (\(self.pulledPages(trace)) in its trace)"
            case .duringPush: return "during the push (held at the server)"
            }
        }()
        record(device.name, .kill, "briefing sync SIGKILLed \(where_); store integrity \(integrity), \(status.articles) articles, \(status.pending) pending",
               failed: integrity != "ok")
        guard integrity == "ok" else { throw ScenarioRunError("\(device.name)'s store is damaged after the kill: \(integrity)") }
    }

    /// Pull attempts answered 200 in a `--trace` file.
    private func pulledPages(_ trace: String) -> Int {
        guard let text = try? String(contentsOfFile: trace, encoding: .utf8) else { return 0 }
        return text.split(separator: "\n").filter { $0.contains("\"page\"") && $0.contains("\"status\":200") }.count
    }
}
