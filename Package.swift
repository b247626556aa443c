// swift-tools-version:6.1
// The modules follow the data path: values and rules at the bottom, storage and sync above them,
// transports and front ends (CLI, mock server) on top. A module imports only modules listed before it.
import PackageDescription

let package = Package(
    name: "Briefing",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "briefing", targets: ["briefing"]),
        .executable(name: "briefing-mock-server", targets: ["briefing-mock-server"]),
        .library(name: "BriefingSync", targets: ["BriefingSync"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    ],
    targets: [
        // Values and rules: articles, field states, conflict rules, the hybrid clock. Foundation only.
        .target(name: "BriefingModel"),
        // The wire format both sides speak: JSON Feed 1.1 pages with `_briefing` extensions, mutations.
        .target(name: "BriefingProtocol", dependencies: ["BriefingModel"]),
        // HTML to readable text and terminal-safe text. Foundation only.
        .target(name: "BriefingText"),
        // The client store on GRDB: migrations embedded from Schema/client, queries, the outbox.
        .target(name: "BriefingStore", dependencies: [
            "BriefingModel",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The sync engine and the Transport it needs. No libcurl, no Glibc: an iOS app reuses it.
        .target(name: "BriefingSync", dependencies: [
            "BriefingModel", "BriefingProtocol", "BriefingStore", "BriefingText",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // libcurl's API (headers from libcurl4-openssl-dev), with the library itself loaded by dlopen on the
        // first call rather than linked: commands that never touch the network start without it.
        .target(name: "CCurl"),
        // Transport on libcurl.
        .target(name: "BriefingCurl", dependencies: ["CCurl", "BriefingSync"]),
        // The CLI.
        .executableTarget(name: "briefing", dependencies: [
            "BriefingModel", "BriefingStore", "BriefingSync", "BriefingCurl", "BriefingText",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The mock feed service: Hummingbird routes, its own GRDB store, admin API, fault injection.
        .target(name: "BriefingMockServer", dependencies: [
            "BriefingModel", "BriefingProtocol",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CompressNIO", package: "compress-nio"),
        ]),
        .executableTarget(name: "briefing-mock-server", dependencies: [
            "BriefingMockServer", "BriefingModel", "BriefingProtocol",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),

        // Launches the real binaries for tests; shared by the server and end-to-end tests.
        .target(name: "BriefingTestSupport", path: "Tests/BriefingTestSupport"),
        .testTarget(name: "BriefingModelTests", dependencies: ["BriefingModel", "BriefingProtocol"]),
        .testTarget(name: "BriefingTextTests", dependencies: ["BriefingText"]),
        .testTarget(name: "BriefingStoreTests", dependencies: ["BriefingStore", "BriefingModel"]),
        .testTarget(name: "BriefingSyncTests", dependencies: [
            "BriefingSync", "BriefingStore", "BriefingModel", "BriefingProtocol",
        ]),
        // Drives CurlTransport against Tests/BriefingCurlTests/fault_server.py (python3), launched per test.
        .testTarget(name: "BriefingCurlTests", dependencies: ["BriefingCurl", "BriefingSync"],
                    exclude: ["fault_server.py"]),
        .testTarget(name: "BriefingMockServerTests", dependencies: [
            "BriefingMockServer", "BriefingProtocol", "BriefingModel",
            "BriefingTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "CompressNIO", package: "compress-nio"),
        ]),
        // End-to-end: the real `briefing` binary against the real `briefing-mock-server` process.
        .testTarget(name: "EndToEndTests", dependencies: ["BriefingModel", "BriefingProtocol", "BriefingTestSupport"]),
        // Property test: three client stores and a fourth device against one real mock-server process,
        // random marks, edits, deletes and token expiry, checked against an independent oracle.
        .testTarget(name: "ConvergenceTests", dependencies: [
            "BriefingModel", "BriefingStore", "BriefingSync", "BriefingCurl", "BriefingTestSupport",
        ]),
    ],
    swiftLanguageModes: [.v5]
)
