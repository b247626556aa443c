import Foundation

/// `--html PATH`: the run as a picture, one self-contained file (inline CSS and script, nothing fetched).
///
/// Each scenario is a table with one swimlane (column) per device and one for the server; every event sits
/// in its lane on its own row, in order. Conflicts are highlighted with the rule and both sides in the
/// caption (and on hover), a failed expectation is red. Every text is HTML-escaped: titles, device names
/// and server messages come from scenario files and servers. The inline script only counts what it finds
/// and writes `data-timeline="ready"` on the body, so a headless browser can prove it ran without an error
/// (`window.onerror` writes `data-timeline="error"` instead).
public enum HTMLTimeline {
    public static func render(_ results: [ScenarioResult]) -> String {
        let passed = results.filter(\.passed).count
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
            <title>Briefing scenarios: \(passed) passed, \(results.count - passed) failed</title>
            <style>
            body { font: 13px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
            h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin: 1.5em 0 .3em; }
            .pass h2::before { content: "PASS "; color: #1a7f37; } .fail h2::before { content: "FAIL "; color: #c62828; }
            table { border-collapse: collapse; width: 100%; table-layout: fixed; }
            th, td { border: 1px solid #ddd; padding: 3px 6px; vertical-align: top; word-wrap: break-word; }
            th { background: #f4f4f4; } .step { width: 3em; color: #888; text-align: right; }
            .time { width: 7.5em; color: #888; font-family: monospace; }
            .ev { border-radius: 4px; padding: 2px 4px; }
            .k-sync { background: #e3f2fd; } .k-mark { background: #f3e5f5; } .k-fault, .k-retry { background: #fff3e0; }
            .k-kill { background: #ffe0b2; } .k-conflict { background: #fff59d; font-weight: 600; }
            .k-expect { background: #e8f5e9; } .k-warning { background: #fff8e1; }
            .failed { background: #ffcdd2 !important; color: #b71c1c; font-weight: 600; }
            .caption { display: block; font-weight: normal; font-size: .9em; color: #5d4037; }
            .mismatch { color: #b71c1c; font-family: monospace; white-space: pre-wrap; }
            </style>
            <script>
            window.onerror = function (message) {
              document.body.setAttribute("data-timeline", "error");
              document.body.setAttribute("data-error", String(message));
            };
            </script>
            </head>
            <body data-timeline="loading">
            <h1>Briefing scenarios: \(passed) passed, \(results.count - passed) failed</h1>

            """
        for result in results {
            let lanes = result.devices + ["server"]
            html += "<section class=\"scenario \(result.passed ? "pass" : "fail")\" data-passed=\"\(result.passed)\">\n"
            html += "<h2>\(escape(result.name))</h2>\n<p>\(escape(result.summary ?? "")) <small>(\(escape(result.file)), \(String(format: "%.2f", result.seconds)) s)</small></p>\n"
            html += "<table><thead><tr><th class=\"step\">step</th><th class=\"time\">time</th>"
            for lane in lanes { html += "<th>\(escape(lane))</th>" }
            html += "</tr></thead><tbody>\n"
            for event in result.events {
                html += "<tr><td class=\"step\">\(event.step == 0 ? "" : String(event.step))</td><td class=\"time\">\(ClockText.time(event.time))</td>"
                for lane in lanes {
                    guard lane == event.lane else { html += "<td></td>"; continue }
                    var classes = "ev k-\(event.kind.rawValue)"
                    if event.failed { classes += " failed" }
                    if let conflict = event.conflict {
                        let title = "\(conflict.field) on \(conflict.article): winner \(conflict.winner); loser \(conflict.loser); rule \(conflict.rule)"
                        html += "<td><div class=\"\(classes)\" title=\"\(escape(title))\">conflict: \(escape(conflict.field)) on \(escape(conflict.article))"
                        html += "<span class=\"caption\">\(escape(conflict.winner)) beats \(escape(conflict.loser)) — \(escape(conflict.rule))</span></div></td>"
                    } else {
                        html += "<td><div class=\"\(classes)\">\(escape(event.kind.rawValue)): \(escape(event.text))</div></td>"
                    }
                }
                html += "</tr>\n"
            }
            html += "</tbody></table>\n"
            if let failure = result.failure {
                html += "<div class=\"failed\">\(escape(failure.message))</div>\n"
                for mismatch in failure.mismatches {
                    html += "<div class=\"mismatch\">\(escape(mismatch.subject))\n  expected: \(escape(mismatch.expected))\n  actual:   \(escape(mismatch.actual))</div>\n"
                }
            }
            html += "</section>\n"
        }
        html += """
            <script>
            (function () {
              var sections = document.querySelectorAll("section.scenario");
              var conflicts = document.querySelectorAll(".k-conflict").length;
              var failed = document.querySelectorAll("section.fail").length;
              document.body.setAttribute("data-scenarios", String(sections.length));
              document.body.setAttribute("data-conflicts", String(conflicts));
              document.body.setAttribute("data-failed", String(failed));
              if (document.body.getAttribute("data-timeline") !== "error") {
                document.body.setAttribute("data-timeline", "ready");
              }
            })();
            </script>
            </body></html>

            """
        return html
    }

    /// HTML text and attribute escaping.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if character.value < 0x20 && character != "\n" && character != "\t" { out += "\u{FFFD}" } else { out.unicodeScalars.append(character) }
            }
        }
        return out
    }
}
