import Foundation
import Testing

/// `Tools/check-imports` guards the core's promise that an iOS app can link it: no libcurl, Glibc, Musl or
/// FoundationNetworking. These tests run the real script on small trees, so the guard itself cannot rot.
/// (BriefingModel is the bottom of the core; its tests are where the core's boundary is checked.)
struct CoreImportCheckTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardizedFileURL

    /// Runs `Tools/check-imports ROOT`: its exit status and what it printed on stderr.
    func check(_ root: URL) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.repository.appendingPathComponent("Tools/check-imports").path, root.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// A temporary tree with `files` (path under Sources/ → contents).
    func tree(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("check-imports-\(UUID().uuidString)")
        for (path, text) in files {
            let file = root.appendingPathComponent("Sources").appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
        }
        return root
    }

    @Test func theRepositoryCoreImportsNothingPlatformBound() throws {
        let result = try check(Self.repository)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func everyImportFormOfAForbiddenModuleInTheCoreFailsNamingFileAndLine() throws {
        let root = try tree([
            "BriefingSync/Fetch.swift": """
                import Foundation
                // import Glibc (a comment may name it)
                #if canImport(FoundationNetworking)
                @preconcurrency import FoundationNetworking
                #endif
                """,
            "BriefingStore/Lock.swift": "@_exported import Glibc\n",
            "BriefingText/Out.swift": "import struct Musl.FILE\n",
            "BriefingModel/Curl.swift": "public import CCurl\nimport BriefingCurlHelpers\n",
            "BriefingProtocol/Wire.swift": "import Foundation\n",
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try check(root)
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("Sources/BriefingSync/Fetch.swift:3: core module BriefingSync must not import FoundationNetworking"))
        #expect(lines.contains("Sources/BriefingSync/Fetch.swift:4: core module BriefingSync must not import FoundationNetworking"))
        #expect(lines.contains("Sources/BriefingStore/Lock.swift:1: core module BriefingStore must not import Glibc"))
        #expect(lines.contains("Sources/BriefingText/Out.swift:1: core module BriefingText must not import Musl"))
        #expect(lines.contains("Sources/BriefingModel/Curl.swift:1: core module BriefingModel must not import CCurl"))
        #expect(!result.stderr.contains("Fetch.swift:2"))
        #expect(!result.stderr.contains("BriefingCurlHelpers"))
        #expect(!result.stderr.contains("Wire.swift"))
    }

    @Test func frontEndsAndTransportsMayImportLibcurlAndAMissingCoreModuleIsSkipped() throws {
        let root = try tree([
            "BriefingCurl/Transport.swift": "import CCurl\nimport FoundationNetworking\n",
            "briefing/Main.swift": "import Glibc\n",
            "BriefingModel/Article.swift": "import Foundation\n",
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try check(root)
        #expect(result.status == 0, "\(result.stderr)")
    }
}
