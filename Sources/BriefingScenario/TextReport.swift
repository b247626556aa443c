import Foundation

/// The timeline on a terminal: each step's events in order, each conflict decision with its rule, and for a
/// failure the expected and actual values and the steps that led there. Every untrusted text was made
/// terminal-safe when it was recorded.
public enum TextReport {
    public static func render(_ result: ScenarioResult) -> String {
        var out = "scenario \(safeLine(result.name, limit: 80)) (\(result.file))\n"
        if let summary = result.summary, !summary.isEmpty { out += "  \(safeLine(summary, limit: 300))\n" }
        let width = max(6, (result.devices + ["server"]).map(\.count).max() ?? 6)
        for event in result.events {
            let lane = event.lane.padding(toLength: width, withPad: " ", startingAt: 0)
            let step = event.step == 0 ? "   " : String(format: "%3d", event.step)
            let kind = event.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
            out += "  [\(step)] \(ClockText.time(event.time)) \(lane)  \(kind) \(event.text)\n"
        }
        if let failure = result.failure {
            out += "FAIL \(safeLine(result.name, limit: 80)): \(failure.message)\n"
            if !failure.mismatches.isEmpty {
                out += "  expected vs actual:\n"
                for mismatch in failure.mismatches {
                    out += "    \(mismatch.subject)\n      expected: \(mismatch.expected)\n      actual:   \(mismatch.actual)\n"
                }
            }
            out += "  the steps that led there:\n"
            for step in failure.steps { out += "    \(step)\n" }
        } else {
            out += "PASS \(safeLine(result.name, limit: 80)) (\(String(format: "%.2f", result.seconds)) s)\n"
        }
        return out
    }

    public static func summary(_ results: [ScenarioResult]) -> String {
        let failed = results.filter { !$0.passed }
        var line = "scenarios: \(results.count - failed.count) passed, \(failed.count) failed"
        if !failed.isEmpty { line += " (" + failed.map { safeLine($0.name, limit: 60) }.joined(separator: ", ") + ")" }
        return line
    }
}

/// `--json`: one object with every scenario, its events and its failure.
public enum JSONReport {
    public static func render(_ results: [ScenarioResult]) throws -> Data {
        let object: [String: Any] = [
            "passed": results.filter(\.passed).count,
            "failed": results.filter { !$0.passed }.count,
            "scenarios": results.map { result -> [String: Any] in
                var item: [String: Any] = [
                    "name": result.name, "file": result.file, "passed": result.passed, "seconds": result.seconds,
                    "devices": result.devices,
                    "events": result.events.map { event -> [String: Any] in
                        var entry: [String: Any] = ["lane": event.lane, "kind": event.kind.rawValue, "step": event.step,
                                                    "text": event.text, "time": event.time.rfc3339, "failed": event.failed]
                        if let conflict = event.conflict {
                            entry["conflict"] = ["article": conflict.article, "field": conflict.field, "winner": conflict.winner,
                                                 "loser": conflict.loser, "rule": conflict.rule]
                        }
                        return entry
                    },
                ]
                if let summary = result.summary { item["description"] = summary }
                if let failure = result.failure {
                    item["failure"] = [
                        "message": failure.message, "file": failure.position.file, "line": failure.position.line,
                        "column": failure.position.column, "steps": failure.steps,
                        "mismatches": failure.mismatches.map { ["subject": $0.subject, "expected": $0.expected, "actual": $0.actual] },
                    ] as [String: Any]
                }
                return item
            },
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}

/// `--junit PATH`: JUnit XML, one testcase per scenario (CI systems read it).
public enum JUnitReport {
    public static func render(_ results: [ScenarioResult]) -> String {
        let failures = results.filter { !$0.passed }.count
        let total = results.reduce(0) { $0 + $1.seconds }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"briefing-scenario\" tests=\"\(results.count)\" failures=\"\(failures)\" time=\"\(String(format: "%.3f", total))\">\n"
        xml += "  <testsuite name=\"scenarios\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\" time=\"\(String(format: "%.3f", total))\">\n"
        for result in results {
            xml += "    <testcase classname=\"scenarios\" name=\"\(escape(result.name))\" file=\"\(escape(result.file))\" time=\"\(String(format: "%.3f", result.seconds))\""
            if let failure = result.failure {
                xml += ">\n      <failure message=\"\(escape(failure.message))\" type=\"expectation\">"
                xml += escape(TextReport.render(result))
                xml += "</failure>\n    </testcase>\n"
            } else {
                xml += "/>\n"
            }
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    /// XML text and attribute escaping; characters XML 1.0 cannot hold at all are dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default:
                let value = scalar.value
                if value < 0x20 || (0xFFFE...0xFFFF).contains(value) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
