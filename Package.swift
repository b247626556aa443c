// swift-tools-version:6.1
// The modules follow the data path: values and rules at the bottom, storage and sync above them,
// transports and front ends (CLI, mock server) on top. A module imports only modules listed before it.
import PackageDescription

// Targets already converted to Swift 6 language mode (complete strict concurrency checking); the
// package-wide default below stays Swift 5 until every target is converted.
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Briefing",
    // Linux needs no entry; the core (Model through Sync) also builds for the apps that embed it.
    platforms: [.macOS(.v13), .iOS(.v16)],
    products: [
        .executable(name: "briefing", targets: ["briefing"]),
        .executable(name: "briefing-urlsession", targets: ["briefing-urlsession"]),
        .executable(name: "briefing-mock-server", targets: ["briefing-mock-server"]),
        // What an app links: the store, the sync engine and the facade over them. No libcurl.
        .library(name: "BriefingKit", targets: ["BriefingKit"]),
        // The libcurl transport, for Linux front ends.
        .library(name: "BriefingCurl", targets: ["BriefingCurl"]),
        .library(name: "BriefingURLSession", targets: ["BriefingURLSession"]),
        .executable(name: "briefing-scenario", targets: ["briefing-scenario"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // The mock server's PostgreSQL store (`--database postgres://…`).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Values and rules: articles, field states, conflict rules, the hybrid clock. Foundation only.
        .target(name: "BriefingModel", swiftSettings: swift6),
        // HTML to readable text, terminal-safe text, the one JSON string escaper. Foundation only.
        .target(name: "BriefingText", swiftSettings: swift6),
        // The wire format both sides speak — JSON Feed 1.1 pages with `_briefing` extensions, mutations —
        // and its decoding into store pages: pure functions over bytes, throwing `MalformedData`.
        .target(name: "BriefingProtocol", dependencies: ["BriefingModel", "BriefingText"], swiftSettings: swift6),
        // The client store on GRDB: migrations embedded from Schema/client, queries, the outbox.
        .target(name: "BriefingStore", dependencies: [
            "BriefingModel", "BriefingProtocol", "BriefingText",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The sync engine and the Transport it needs. No libcurl, no Glibc: an iOS app reuses it.
        .target(name: "BriefingSync", dependencies: [
            "BriefingModel", "BriefingProtocol", "BriefingStore", "BriefingText",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The facade an app links: open a store, sync (async, cancellable), observe events, read and mark.
        .target(name: "BriefingKit", dependencies: ["BriefingModel", "BriefingStore", "BriefingSync"]),
        // libcurl's API (headers from libcurl4-openssl-dev), with the library itself loaded by dlopen on the
        // first call rather than linked: commands that never touch the network start without it.
        .target(name: "CCurl"),
        // Transport on libcurl.
        .target(name: "BriefingCurl", dependencies: ["CCurl", "BriefingSync"]),
        // Transport on URLSession (FoundationNetworking on Linux): what an app on an Apple platform plugs in.
        .target(name: "BriefingURLSession", dependencies: ["BriefingSync"]),
        // The CLI's commands, with the transport left to the executable (`runBriefing(transport:)`); the
        // sources stay in Sources/briefing.
        .target(name: "BriefingCLI", dependencies: [
            "BriefingKit", "BriefingModel", "BriefingStore", "BriefingSync", "BriefingText",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/briefing"),
        // The CLI on libcurl, without FoundationNetworking: reading commands start like a small C tool
        // (docs/BENCHMARKS.md, "Start-up").
        .executableTarget(name: "briefing", dependencies: ["BriefingCLI", "BriefingCurl"], path: "Sources/Entry/briefing"),
        // The same CLI on URLSession; `briefing` runs it for BRIEFING_TRANSPORT=urlsession.
        .executableTarget(name: "briefing-urlsession", dependencies: ["BriefingCLI", "BriefingURLSession"],
                          path: "Sources/Entry/briefing-urlsession"),
        // The mock feed service: Hummingbird routes, its own GRDB store, admin API, fault injection.
        .target(name: "BriefingMockServer", dependencies: [
            "BriefingModel", "BriefingProtocol",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ], swiftSettings: swift6),
        .executableTarget(name: "briefing-mock-server", dependencies: [
            "BriefingMockServer", "BriefingModel", "BriefingProtocol",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ], swiftSettings: swift6),

        // Conflict scenarios: the YAML format, the runner (devices in-process through BriefingKit on libcurl, the
        // server through the protocol and its admin API only) and the reports (text, JSON, JUnit XML, HTML).
        .target(name: "BriefingScenario", dependencies: [
            "BriefingKit", "BriefingCurl", "BriefingText",
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "briefing-scenario", dependencies: [
            "BriefingScenario", "BriefingModel",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // libFuzzer targets over the real modules (Tools/fuzz builds them with -sanitize=fuzzer,address
        // -DFUZZING into .build-fuzz); an ordinary build replays the corpus files given as arguments.
        .target(name: "FuzzDriver", path: "Fuzz/Driver",
                swiftSettings: swift6 + [.enableExperimentalFeature("Extern")]),
        .executableTarget(name: "fuzz-html", dependencies: ["BriefingText", "FuzzDriver"], path: "Fuzz/html",
                          exclude: ["corpus", "html.dict"], swiftSettings: swift6),
        .executableTarget(name: "fuzz-page", dependencies: ["BriefingModel", "BriefingProtocol", "BriefingText", "FuzzDriver"],
                          path: "Fuzz/page", exclude: ["corpus", "page.dict"], swiftSettings: swift6),

        // An app's use of the public API, start to finish; Tools/test runs it against the mock server.
        .executableTarget(name: "briefing-example", dependencies: ["BriefingKit", "BriefingURLSession"],
                          path: "Examples/BriefingExample"),

        // Launches the real binaries for tests; shared by the server and end-to-end tests.
        .target(name: "BriefingTestSupport", path: "Tests/BriefingTestSupport"),
        // The facade as an app uses it, against the real mock server: cancellation, resumption, one sync per store.
        .testTarget(name: "BriefingKitTests", dependencies: ["BriefingKit", "BriefingCurl", "BriefingTestSupport"]),
        .testTarget(name: "BriefingModelTests", dependencies: ["BriefingModel", "BriefingProtocol"], swiftSettings: swift6),
        .testTarget(name: "BriefingTextTests", dependencies: ["BriefingText"], swiftSettings: swift6),
        .testTarget(name: "BriefingProtocolTests", dependencies: ["BriefingProtocol", "BriefingModel"], swiftSettings: swift6),
        .testTarget(name: "BriefingStoreTests", dependencies: ["BriefingStore", "BriefingModel", "BriefingProtocol"]),
        .testTarget(name: "BriefingSyncTests", dependencies: [
            "BriefingSync", "BriefingStore", "BriefingModel", "BriefingProtocol",
        ]),
        // One suite run over every Transport (libcurl and URLSession) against Tests/TransportTests/fault_server.py
        // (python3), launched per test.
        .testTarget(name: "TransportTests", dependencies: ["BriefingCurl", "BriefingURLSession", "BriefingSync"],
                    exclude: ["fault_server.py"]),
        .testTarget(name: "BriefingMockServerTests", dependencies: [
            "BriefingMockServer", "BriefingProtocol", "BriefingModel",
            "BriefingTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "CompressNIO", package: "compress-nio"),
        ], swiftSettings: swift6),
        // End-to-end: the real `briefing` binary against the real `briefing-mock-server` process.
        .testTarget(name: "EndToEndTests", dependencies: ["BriefingModel", "BriefingProtocol", "BriefingTestSupport"]),
        // The scenario library run by the real `briefing-scenario` against runner-started and separately started
        // servers; failure output, JUnit XML, and the HTML timeline in a headless browser.
        .testTarget(name: "ScenarioTests", dependencies: ["BriefingScenario", "BriefingTestSupport"]),
        // Property test: three client stores and a fourth device against one real mock-server process,
        // random marks, edits, deletes and token expiry, checked against an independent oracle.
        .testTarget(name: "ConvergenceTests", dependencies: [
            "BriefingModel", "BriefingStore", "BriefingSync", "BriefingCurl", "BriefingTestSupport",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
