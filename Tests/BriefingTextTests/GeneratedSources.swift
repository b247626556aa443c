import Foundation
import Testing

/// Runs a generator into a scratch file and expects it to equal the committed generated source.
func expectGeneratorReproduces(_ generator: String, _ generated: String) throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("generated-\(UUID().uuidString).swift")
    defer { try? FileManager.default.removeItem(at: scratch) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", root.appendingPathComponent(generator).path, scratch.path]
    process.currentDirectoryURL = root
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "\(generator) failed: \(message)")
    let expected = try String(contentsOf: scratch, encoding: .utf8)
    let committed = try String(contentsOf: root.appendingPathComponent(generated), encoding: .utf8)
    guard committed != expected else { return }
    let committedLines = committed.split(separator: "\n", omittingEmptySubsequences: false)
    let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let line = zip(committedLines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        ?? min(committedLines.count, expectedLines.count)
    Issue.record("\(generated) differs from what \(generator) produces, first at line \(line + 1): run \(generator)")
}
