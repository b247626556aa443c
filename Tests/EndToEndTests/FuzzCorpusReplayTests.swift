import Foundation
import Testing
import BriefingTestSupport

/// The fuzz targets are ordinary executables in an ordinary build: each replays the files it is given, with
/// every check it makes under libFuzzer. Replaying the seed corpora keeps the targets and their seeds
/// working between `Tools/fuzz` runs.
struct FuzzCorpusReplayTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fuzz").standardizedFileURL

    func replay(_ target: String) throws {
        let corpus = Self.fuzz.appendingPathComponent("\(target)/corpus")
        let seeds = try FileManager.default.contentsOfDirectory(atPath: corpus.path).count
        let result = try run("fuzz-\(target)", [corpus.path])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out == "replayed \(seeds) inputs\n")
        #expect(seeds > 0)
    }

    @Test func thePageTargetReplaysItsSeedCorpusWithoutAFailedCheck() throws {
        try replay("page")
    }

    @Test func theHTMLTargetReplaysItsSeedCorpusWithoutAFailedCheck() throws {
        try replay("html")
    }

    @Test func anUnreadableInputFailsTheReplayInsteadOfPassingSilently() throws {
        let result = try run("fuzz-page", ["/nonexistent/input"])
        #expect(result.status == 66)
        #expect(result.err.contains("cannot read /nonexistent/input"))
    }
}
