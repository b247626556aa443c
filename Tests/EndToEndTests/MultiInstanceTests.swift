import Foundation
import Testing
import BriefingTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The real `briefing` binary against two real `briefing-mock-server` instances sharing one PostgreSQL
/// database, behind a round-robin TCP balancer (`Tests/Fixtures/round-robin-proxy.py`): each connection
/// goes to the next instance, so consecutive syncs (and a retry after a dropped connection) alternate.
@Suite(.serialized)
struct MultiInstanceTests {
    @Test func threeClientsSyncingThroughAlternatingInstancesConverge() throws {
        let cluster = try SharedCluster(articles: 30)
        let devices = try (1...3).map { try Device("device-\($0)", server: cluster.balancer) }
        for device in devices { #expect(try device.sync().status == 0) }
        var random = SeededRandom(seed: 15)
        var marks: [String: [String: Bool]] = [:]   // device → "article|field" → value
        for round in 0..<4 {
            for device in devices {
                for _ in 0..<3 {
                    let article = String(format: "shared-%05d", Int.random(in: 1...30, using: &random))
                    let (action, field, value) = [("read", "read", true), ("unread", "read", false),
                                                  ("star", "starred", true), ("unstar", "starred", false)]
                        .randomElement(using: &random)!
                    try device.mark(action, article)
                    marks[device.name, default: [:]]["\(article)|\(field)"] = value
                }
                let sync = try device.sync()
                #expect(sync.status == 0, "round \(round) \(device.name): \(sync.err)")
            }
        }
        for device in devices + devices { #expect(try device.sync().status == 0) }
        let server = try cluster.first.readerStates()
        #expect(try cluster.second.readerStates() == server)
        for device in devices {
            #expect(try device.store.pendingMarks().isEmpty, "\(device.name) still has pending marks")
            let differences = convergenceDifferences(client: try device.store.readerStates(), server: server)
            #expect(differences.isEmpty, "\(device.name): \(differences)")
        }
        let state = try cluster.first.state()
        let judged = (state["mutations_applied"] as? Int ?? 0) + (state["mutations_conflict"] as? Int ?? 0)
        #expect(judged >= marks.values.map(\.count).reduce(0, +) / 2, "too few mutations judged: \(state)")
    }

    @Test func instanceKilledMidPushLeavesTheClientsToFinishOnTheOther() throws {
        let cluster = try SharedCluster(articles: 20)
        let devices = try (1...3).map { try Device("device-\($0)", server: cluster.balancer) }
        for device in devices { #expect(try device.sync().status == 0) }
        let marked = (1...8).map { String(format: "shared-%05d", $0) }
        for id in marked { try devices[0].mark("star", id) }

        // The first instance holds the push (a 5 s delay fault) while it is killed.
        try cluster.first.admin("faults", ["kind": "delay", "delay_ms": 5_000, "path": "/v1/mutations", "count": 10])
        cluster.balancer.startTurnAtFirstInstance()
        let sync = try BackgroundBriefing(devices[0].store, ["sync"])
        Thread.sleep(forTimeInterval: 1.0)
        kill(cluster.first.process.processIdentifier, SIGKILL)
        cluster.first.process.waitUntilExit()
        let status = sync.wait(timeout: 60)
        #expect(status == 0, "the sync did not finish on the surviving instance: \(sync.stderrText)")
        // It outlived the kill: its push was held by the first instance when that one died.
        #expect(Date().timeIntervalSince(sync.started) >= 1.0)

        for device in devices + devices { #expect(try device.sync().status == 0) }
        let server = try cluster.second.readerStates()
        for id in marked { #expect(server[id]?.starred == true, "\(id) lost its star") }
        for device in devices {
            let differences = convergenceDifferences(client: try device.store.readerStates(), server: server)
            #expect(differences.isEmpty, "\(device.name): \(differences)")
        }
        let state = try cluster.second.state()
        #expect(state["mutations_applied"] as? Int == marked.count, "\(state)")
    }

    @Test(arguments: StoreKind.allCases) func twoAccountsNeverSeeEachOthersMarks(store: StoreKind) throws {
        let folder = try TemporaryDirectory()
        let accounts = folder.path("accounts")
        FileManager.default.createFile(atPath: accounts, contents: Data("""
            alice alice-phone-token
            alice alice-laptop-token
            bob   bob-phone-token
            """.utf8), attributes: [.posixPermissions: 0o600])
        try writeGeneratedFeed(count: 5, prefix: "acct", to: folder.url.path)
        let server = try MockServerProcess(arguments: ["--seeds", folder.url.path, "--accounts", accounts]
                                           + (try store.serverArguments()))
        func device(_ name: String, token: String) throws -> Device {
            let tokenFile = folder.path("\(name).token")
            FileManager.default.createFile(atPath: tokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
            return try Device(name, server: server, extra: ["--token-file", tokenFile])
        }
        let alicePhone = try device("alice-phone", token: "alice-phone-token")
        let aliceLaptop = try device("alice-laptop", token: "alice-laptop-token")
        let bobPhone = try device("bob-phone", token: "bob-phone-token")
        for device in [alicePhone, aliceLaptop, bobPhone] { #expect(try device.sync().status == 0) }

        try alicePhone.mark("read", "acct-00001")
        try bobPhone.mark("star", "acct-00002")
        for device in [alicePhone, bobPhone, aliceLaptop, bobPhone, alicePhone] { #expect(try device.sync().status == 0) }

        let aliceSees = try aliceLaptop.store.readerStates()
        let bobSees = try bobPhone.store.readerStates()
        #expect(aliceSees["acct-00001"] == ReaderState(read: true, starred: false))
        #expect(aliceSees["acct-00002"] == ReaderState(read: false, starred: false))
        #expect(bobSees["acct-00001"] == ReaderState(read: false, starred: false))
        #expect(bobSees["acct-00002"] == ReaderState(read: false, starred: true))
        #expect(try alicePhone.store.readerStates() == aliceSees)
        let bobOnServer = try #require(try server.admin("state?account=bob") as? [String: Any])
        #expect(server.readerStates(in: bobOnServer) == bobSees)
    }
}

/// Two mock-server instances on one fresh PostgreSQL database, seeded with `articles` generated articles,
/// and the balancer in front of them.
final class SharedCluster {
    let seeds: TemporaryDirectory
    let first: MockServerProcess
    let second: MockServerProcess
    let balancer: RoundRobinBalancer

    init(articles: Int) throws {
        seeds = try TemporaryDirectory()
        try writeGeneratedFeed(count: articles, prefix: "shared", to: seeds.url.path)
        let database = try TestPostgres.freshDatabase()
        first = try MockServerProcess(arguments: ["--seeds", seeds.url.path, "--database", database])
        second = try MockServerProcess(arguments: ["--seeds", seeds.url.path, "--database", database])
        balancer = try RoundRobinBalancer(balancing: [first.port, second.port])
    }
}

/// `Tests/Fixtures/round-robin-proxy.py` on a free loopback port, started like a mock server (it announces
/// `listening on URL` the same way), so a `Device` can be initialised against it.
typealias RoundRobinBalancer = MockServerProcess

extension MockServerProcess {
    static let balancerScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/round-robin-proxy.py").standardized.path

    convenience init(balancing ports: [Int]) throws {
        try self.init(executable: URL(fileURLWithPath: "/usr/bin/env"),
                      commandLine: ["python3", Self.balancerScript] + ports.map(String.init), arguments: [])
    }

    /// The balancer's next connection goes to the first instance again.
    func startTurnAtFirstInstance() {
        kill(process.processIdentifier, SIGUSR1)
        Thread.sleep(forTimeInterval: 0.1)
    }
}
