import BriefingModel
import BriefingProtocol
import BriefingTestSupport
import CompressNIO
import Foundation
import NIOCore
import Testing

/// The real `briefing-mock-server` binary, started with `--port 0` and spoken to over HTTP.
@Suite struct ProcessTests {
    @Test func thousandArticleSeedSetPullsAsExactlyTenPagesOfAHundred() throws {
        let seeds = try TemporaryDirectory()
        let items = sampleItems(1_000)
        for part in 0..<4 {
            try writeFeed(Array(items[(part * 250)..<((part + 1) * 250)]), to: seeds.url.appendingPathComponent("feed-\(part).json"))
        }
        let server = try MockServerProcess(arguments: ["--seeds", seeds.url.path, "--page-size", "100"])
        var pages: [FeedDocument] = []
        var token: String?
        repeat {
            pages.append(try pull(server, token: token))
            token = pages.last!.briefing!.nextToken
        } while pages.last!.briefing!.hasMore && pages.count < 20
        #expect(pages.count == 10)
        #expect(pages.allSatisfy { $0.items.count == 100 })
        #expect(pages.map { $0.briefing!.hasMore } == Array(repeating: true, count: 9) + [false])
        let ids = pages.flatMap { $0.items.map(\.id) }
        #expect(ids.count == 1_000 && Set(ids) == Set(items.map(\.id)))
        let after = try pull(server, token: token)
        #expect(after.items.isEmpty && after.briefing!.states.isEmpty && after.briefing!.deleted.isEmpty)
        #expect(after.briefing!.hasMore == false)
        #expect(server.stop() == 0)
        #expect(server.process.terminationReason == .exit)
    }

    @Test func everyFaultKindIsSeenByTheClient() throws {
        let seeds = try seedFolder(sampleItems(3))
        let server = try MockServerProcess(arguments: ["--seeds", seeds.url.path])
        let changes = server.url("/v1/changes")

        try server.admin("faults", ["kind": "status", "status": 503, "retry_after": 2])
        let unavailable = try HTTP.get(changes)
        #expect(unavailable.status == 503 && unavailable.header("Retry-After") == "2")
        #expect(try (unavailable.json() as? [String: Any])?["error"] is String)

        try server.admin("faults", ["kind": "delay", "delay_ms": 1_500])
        #expect(throws: RawHTTPError.self) { try RawHTTP.get(port: server.port, "/v1/changes", timeout: 0.3) }
        try server.admin("faults", ["kind": "delay", "delay_ms": 400])
        let started = Date()
        let late = try HTTP.get(changes)
        #expect(late.status == 200 && Date().timeIntervalSince(started) >= 0.4)

        try server.admin("faults", ["kind": "drop"])
        let dropped = try RawHTTP.get(port: server.port, "/v1/changes")
        #expect(dropped.bytes.isEmpty)

        try server.admin("faults", ["kind": "truncate"])
        let truncated = try RawHTTP.get(port: server.port, "/v1/changes", headers: ["Accept-Encoding": "gzip"])
        let announced = try #require(truncated.header("Content-Length").flatMap { Int($0) })
        #expect(truncated.status == 200 && truncated.header("Content-Encoding") == nil)
        #expect(truncated.body.count > 0 && truncated.body.count < announced)

        try server.admin("faults", ["kind": "malformed"])
        let malformed = try HTTP.get(changes)
        #expect(malformed.status == 200)
        #expect(throws: (any Error).self) { try JSONSerialization.jsonObject(with: malformed.body) }

        let healthy = try HTTP.get(changes)
        #expect(healthy.status == 200 && (try? healthy.json()) != nil)
        #expect(server.stop() == 0)
    }

    @Test func faultsHitOnlyTheirPathAndOnlyCountTimes() throws {
        let seeds = try seedFolder(sampleItems(3))
        let server = try MockServerProcess(arguments: ["--seeds", seeds.url.path])
        try server.admin("faults", ["kind": "status", "status": 500, "count": 2, "path": "/v1/mutations"])
        #expect(try HTTP.get(server.url("/v1/changes")).status == 200)
        let statuses = try (0..<3).map { index in
            try push(server, [mark("m-\(index)", "article-0000", time: at(Int64(index)))], key: "k-\(index)").status
        }
        #expect(statuses == [500, 500, 200])
    }

    @Test func stateSurvivesARestartWithData() throws {
        let folder = try TemporaryDirectory()
        let seeds = try seedFolder(sampleItems(3))
        let arguments = ["--seeds", seeds.url.path, "--data", folder.path("server.sqlite")]

        let first = try MockServerProcess(arguments: arguments)
        let fullSyncToken = try pull(first).briefing!.nextToken
        let pushBody = try WireCoding.encoder().encode(PushRequest(mutations: [mark("m-1", "article-0001", time: at(1))]))
        let pushed = try HTTP.send("POST", first.url("/v1/mutations"), body: pushBody, headers: ["Idempotency-Key": "push-1"])
        #expect(pushed.status == 200)
        try first.admin("articles", ["id": "article-0002", "content_text": "edited"])
        let latestToken = try pull(first, token: fullSyncToken).briefing!.nextToken
        let before = try first.admin("state") as? NSDictionary
        #expect(first.stop() == 0)

        let second = try MockServerProcess(arguments: arguments)
        let after = try second.admin("state") as? NSDictionary
        #expect(after == before)
        #expect((after?["sequence"] as? Int) == 5)
        let replayed = try HTTP.send("POST", second.url("/v1/mutations"), body: pushBody, headers: ["Idempotency-Key": "push-1"])
        #expect(replayed.status == 200 && replayed.body == pushed.body)
        let sinceFullSync = try pull(second, token: fullSyncToken)
        #expect(sinceFullSync.items.map(\.id) == ["article-0002"] && sinceFullSync.items.first?.briefing?.revision == 2)
        #expect(sinceFullSync.briefing!.states.map(\.id) == ["article-0001"])
        let upToDate = try pull(second, token: latestToken)
        #expect(upToDate.items.isEmpty && !upToDate.briefing!.hasMore)
        try second.admin("expire-tokens", [String: Any]())
        #expect(second.stop() == 0)

        let third = try MockServerProcess(arguments: arguments)
        #expect(try HTTP.get(third.url("/v1/changes?token=\(latestToken)")).status == 410)
        #expect(try pull(third).items.count == 3)
    }

    @Test func bearerTokenGuardsTheProtocolButNotTheAdminAPI() throws {
        let server = try MockServerProcess(arguments: ["--token", "s3cret"])
        let missing = try HTTP.get(server.url("/v1/changes"))
        let wrong = try HTTP.get(server.url("/v1/changes"), headers: ["Authorization": "Bearer guess"])
        let right = try HTTP.get(server.url("/v1/changes"), headers: ["Authorization": "Bearer s3cret"])
        #expect(missing.status == 401 && wrong.status == 401 && right.status == 200)
        #expect(missing.header("WWW-Authenticate") == "Bearer")
        #expect(try server.admin("state") is [String: Any])
    }

    @Test func gzipOnTheWireDecodesToTheSamePage() throws {
        let seeds = try seedFolder(sampleItems(40))
        let server = try MockServerProcess(arguments: ["--seeds", seeds.url.path])
        let zipped = try RawHTTP.get(port: server.port, "/v1/changes", headers: ["Accept-Encoding": "gzip"])
        #expect(zipped.status == 200 && zipped.header("Content-Encoding") == "gzip")
        #expect(Array(zipped.body.prefix(2)) == [0x1f, 0x8b])
        var buffer = ByteBuffer(bytes: zipped.body)
        let unzipped = try buffer.decompress(with: .gzip())
        let page = try WireCoding.decoder().decode(FeedDocument.self, from: Data(unzipped.readableBytesView))
        let plain = try RawHTTP.get(port: server.port, "/v1/changes")
        let reference = try WireCoding.decoder().decode(FeedDocument.self, from: plain.body)
        #expect(page.items == reference.items && page.briefing?.nextToken == reference.briefing?.nextToken)
        #expect(zipped.body.count < plain.body.count)
    }

    @Test func pullPagesValidateAgainstTheJSONSchema() throws {
        let seeds = try seedFolder(sampleItems(4))
        let server = try MockServerProcess(arguments: ["--seeds", seeds.url.path])
        try server.admin("state", ["id": "article-0000", "field": "read", "value": true,
                                   "changed_at": at(1).rfc3339, "device": "phone"])
        let full = try HTTP.get(server.url("/v1/changes"))
        let token = try WireCoding.decoder().decode(FeedDocument.self, from: full.body).briefing!.nextToken
        try server.admin("state", ["id": "article-0001", "field": "starred", "value": true,
                                   "changed_at": at(2).rfc3339, "device": "phone"])
        try server.admin("articles", ["id": "article-0002", "content_text": "edited"])
        try server.admin("delete", ["ids": ["article-0003"]])
        let incremental = try HTTP.get(server.url("/v1/changes?token=\(token)"))
        let page = try WireCoding.decoder().decode(FeedDocument.self, from: incremental.body)
        #expect(!page.items.isEmpty && !page.briefing!.states.isEmpty && !page.briefing!.deleted.isEmpty)

        let folder = try TemporaryDirectory()
        try full.body.write(to: folder.url.appendingPathComponent("full.json"))
        try incremental.body.write(to: folder.url.appendingPathComponent("incremental.json"))
        var broken = try #require(try JSONSerialization.jsonObject(with: full.body) as? [String: Any])
        var briefing = try #require(broken["_briefing"] as? [String: Any])
        briefing["has_more"] = "no"
        broken["_briefing"] = briefing
        try JSONSerialization.data(withJSONObject: broken).write(to: folder.url.appendingPathComponent("broken.json"))

        let valid = try validate(pages: [folder.path("full.json"), folder.path("incremental.json")])
        #expect(valid.status == 0, "\(valid.err)")
        let invalid = try validate(pages: [folder.path("broken.json")])
        #expect(invalid.status != 0)
    }

    @Test(.enabled(if: nonLoopbackIPv4() != nil, "needs a non-loopback IPv4 interface"))
    func adminRefusesPeersThatAreNotLoopback() throws {
        let address = try #require(nonLoopbackIPv4())
        let server = try MockServerProcess(arguments: ["--host", "0.0.0.0"])
        let remote = try RawHTTP.get(host: address, port: server.port, "/admin/state")
        #expect(remote.status == 403)
        #expect(String(decoding: remote.body, as: UTF8.self).contains(#""error""#))
        #expect(try RawHTTP.get(host: address, port: server.port, "/v1/changes").status == 200)
        #expect(try server.admin("state") is [String: Any])
    }

    @Test func sigintStopsTheServerWithExitZero() throws {
        let server = try MockServerProcess()
        #expect(try HTTP.get(server.url("/v1/changes")).status == 200)
        server.process.interrupt()
        server.process.waitUntilExit()
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus == 0)
    }

    @Test func openAPIDescriptionIsValid() throws {
        let result = try run("/usr/bin/env", ["python3", "-m", "openapi_spec_validator", schemaPath("openapi.yaml")],
                             timeout: 60)
        #expect(result.status == 0, "\(result.out)\(result.err)")
    }

    @Test(arguments: [["--page-size", "0"], ["--bogus"], ["--policy", "read=sometimes"], ["--port", "http"]])
    func badFlagsExit64WithOneLine(arguments: [String]) throws {
        let result = try run("briefing-mock-server", arguments, timeout: 30)
        #expect(result.status == 64)
        #expect(result.err.hasPrefix("briefing-mock-server: error: "))
        #expect(result.err.split(separator: "\n").count == 1)
        #expect(result.out.isEmpty)
    }

    @Test func malformedSeedFileExits65NamingTheFile() throws {
        let seeds = try seedFolder(sampleItems(2))
        try Data("{\"version\": 1".utf8).write(to: seeds.url.appendingPathComponent("zz-broken.json"))
        let result = try run("briefing-mock-server", ["--seeds", seeds.url.path], timeout: 30)
        #expect(result.status == 65)
        #expect(result.err.contains("zz-broken.json") && result.err.split(separator: "\n").count == 1)
    }
}

// MARK: - Helpers

private func pull(_ server: MockServerProcess, token: String? = nil) throws -> FeedDocument {
    let response = try HTTP.get(server.url("/v1/changes" + (token.map { "?token=\($0)" } ?? "")))
    guard response.status == 200 else {
        throw TestError("pull → \(response.status): \(String(decoding: response.body, as: UTF8.self))")
    }
    return try WireCoding.decoder().decode(FeedDocument.self, from: response.body)
}

private func push(_ server: MockServerProcess, _ mutations: [Mutation], key: String) throws -> HTTP.Response {
    try HTTP.send("POST", server.url("/v1/mutations"), body: try WireCoding.encoder().encode(PushRequest(mutations: mutations)),
                  headers: ["Idempotency-Key": key, "Content-Type": "application/json"])
}

/// A temporary seeds folder holding `items` as one feed.
private func seedFolder(_ items: [FeedItem]) throws -> TemporaryDirectory {
    let folder = try TemporaryDirectory()
    try writeFeed(items, to: folder.url.appendingPathComponent("seed.json"))
    return folder
}

/// Validates saved pages against Schema/briefing-extensions.schema.json with Python's jsonschema.
private func validate(pages: [String]) throws -> ProcessResult {
    let schema = schemaPath("briefing-extensions.schema.json")
    let script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        for path in sys.argv[2:]:
            validator.validate(json.load(open(path)))
        """
    return try run("/usr/bin/env", ["python3", "-c", script, schema] + pages, timeout: 60)
}

/// A file of the repository's Schema/ folder, found from this source file.
private func schemaPath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Schema").appendingPathComponent(name).path
}
