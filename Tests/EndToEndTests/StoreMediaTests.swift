import Foundation
import Testing
import BriefingTestSupport

/// The store at the edges of the machine rather than the network: a filesystem that fills up during a
/// sync, and a read-only mount. These tests mount filesystems, so they need root (CI runs `Tools/test` as
/// root); without it they fail, never skip.
@Suite(.serialized)
struct StoreMediaTests {
    static let pageSize = 200

    @Test func aSyncThatFillsTheDiskExits74NamingWhereToFreeSpaceAndResumesOnceThereIsRoom() throws {
        let seeds = try TemporaryDirectory()
        try writeGeneratedFeed(count: 5_000, prefix: "full", to: seeds.url.path)
        let server = try MockServerProcess(arguments: ["--seeds", seeds.url.path, "--page-size", String(Self.pageSize)])
        let disk = try Mount(tmpfs: "3m", in: TemporaryDirectory())
        let store = try CLIStore()
        store.environment["BRIEFING_DB"] = disk.path + "/briefing.sqlite"
        let initialised = try store.briefing("init", "--server", server.baseURL.absoluteString, "--device", "small-disk")
        #expect(initialised.status == 0, "\(initialised.err)")

        let full = try store.briefing("sync", "--page-size", String(Self.pageSize))
        #expect(full.status == 74, "\(full.out)\(full.err)")
        #expect(full.err.hasPrefix("briefing: error: disk full"), "\(full.err)")
        #expect(full.err.contains("free space on the filesystem holding \(disk.path)"), "\(full.err)")
        #expect(full.err.split(separator: "\n").count == 1, "\(full.err)")

        #expect(try run("/usr/bin/sqlite3", [disk.path + "/briefing.sqlite", "PRAGMA integrity_check"]).out == "ok\n")
        let landed = try store.object("status")["articles"] as? Int ?? -1
        #expect(landed > 0 && landed < 5_000, "the disk filled after \(landed) articles")
        #expect(landed % Self.pageSize == 0, "a page landed in part: \(landed) articles")
        #expect(try store.list("--all").count == landed)

        try disk.remount(size: "64m")
        let resumed = try store.briefing("sync", "--page-size", String(Self.pageSize))
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(try store.object("status")["articles"] as? Int == 5_000)
        #expect(try run("/usr/bin/sqlite3", [disk.path + "/briefing.sqlite", "PRAGMA integrity_check"]).out == "ok\n")
        try disk.unmount()
    }

    @Test(arguments: [false, true])
    func aStoreOnAReadOnlyMountReadsButRefusesToMark(withWriteAheadLog: Bool) throws {
        let server = try MockServerProcess.seeded()
        let device = try Device("backup", server: server)
        _ = try device.syncReport()
        let articles = try device.store.list("--all")
        let first = try #require(articles.first?["id"] as? String)
        let second = try #require(articles.dropFirst().first?["id"] as? String)
        try device.mark("star", first)

        // A snapshot of the store directory: either as a running Briefing leaves it (a -wal holding commits
        // not yet in the database file, and its -shm), or checkpointed with neither file.
        let scratch = try TemporaryDirectory()
        let snapshot = scratch.path("snapshot")
        try FileManager.default.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
        if withWriteAheadLog {
            try snapshotWithWriteAheadLog(device.store.db, into: snapshot + "/briefing.sqlite", starring: second)
        } else {
            try FileManager.default.copyItem(atPath: device.store.db, toPath: snapshot + "/briefing.sqlite")
            try? FileManager.default.copyItem(atPath: device.store.db + "-wal", toPath: snapshot + "/briefing.sqlite-wal")
            let checkpoint = try run("/usr/bin/sqlite3", [snapshot + "/briefing.sqlite", "PRAGMA journal_mode"])
            #expect(checkpoint.out == "wal\n")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: snapshot).sorted()
        #expect(files == (withWriteAheadLog ? ["briefing.sqlite", "briefing.sqlite-shm", "briefing.sqlite-wal"] : ["briefing.sqlite"]))

        let mount = try Mount(readOnlyBind: snapshot, in: scratch)
        let store = try CLIStore()
        store.environment["BRIEFING_DB"] = mount.path + "/briefing.sqlite"

        #expect(try store.list("--all").count == articles.count)
        #expect(try store.list("--starred").compactMap { $0["id"] as? String }.sorted()
                == (withWriteAheadLog ? [first, second].sorted() : [first]))
        let title = try #require(articles.first?["title"] as? String)
        let word = try #require(title.split(separator: " ").first { $0.count > 3 && $0.allSatisfy(\.isLetter) }.map(String.init))
        let search = try store.briefing("search", word, "--json")
        #expect(search.status == 0, "\(search.err)")
        #expect((try search.json() as? [[String: Any]])?.contains { $0["id"] as? String == first } == true)
        #expect(try store.object("status")["articles"] as? Int == articles.count)
        let shown = try store.briefing("show", first, "--no-mark", "--json")
        #expect(shown.status == 0, "\(shown.err)")

        let mark = try store.briefing("mark", "read", first)
        #expect(mark.status == 74, "\(mark.out)\(mark.err)")
        #expect(mark.err.hasPrefix("briefing: error: store is read-only"), "\(mark.err)")
        let sync = try store.briefing("sync")
        #expect(sync.status == 74 && sync.err.hasPrefix("briefing: error: store is read-only"), "\(sync.err)")

        // `show` marks the article read: on a read-only store it still shows it, and says it could not.
        let unread = try #require(articles.first { $0["read"] as? Bool == false }?["id"] as? String)
        let showAndMark = try store.briefing("show", unread, "--json")
        #expect(showAndMark.status == 0, "\(showAndMark.err)")
        #expect((try showAndMark.json() as? [String: Any])?["id"] as? String == unread)
        #expect(showAndMark.err.hasPrefix("briefing: warning: not marked read: store is read-only"), "\(showAndMark.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: snapshot).sorted() == files)
        try mount.unmount()
        withExtendedLifetime(server) {}
    }

    @Test func aStoreLockedByAnotherProcessPastTheBusyWaitExits75() throws {
        let store = try CLIStore()
        try store.importFeed(feed([item("locked-1", title: "Locked")]))
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = ["-c", """
            import sqlite3, sys, time
            connection = sqlite3.connect(sys.argv[1], isolation_level=None)
            connection.execute("BEGIN EXCLUSIVE")
            print("locked", flush=True)
            time.sleep(20)
            """, store.db]
        let output = Pipe()
        holder.standardOutput = output
        try holder.run()
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        #expect(String(decoding: output.fileHandleForReading.readData(ofLength: 6), as: UTF8.self) == "locked")

        let started = Date()
        let mark = try store.briefing("mark", "read", "locked-1")
        #expect(mark.status == 75, "\(mark.err)")
        #expect(mark.err.hasPrefix("briefing: error: store is busy"), "\(mark.err)")
        #expect(Date().timeIntervalSince(started) >= 4.5, "gave up before the busy wait")
        #expect(try store.list("--all").count == 1, "a reader is not blocked by a writer in WAL mode")
    }

    /// Copies the store while another connection holds commits in its write-ahead log, as a backup taken
    /// of a running machine would: the copied -wal has a commit (starring `id`) the database file lacks.
    private func snapshotWithWriteAheadLog(_ db: String, into copy: String, starring id: String) throws {
        let script = """
            import shutil, sqlite3, sys
            db, copy, article = sys.argv[1:]
            connection = sqlite3.connect(db, isolation_level=None)
            connection.execute("PRAGMA wal_autocheckpoint = 0")
            connection.execute("UPDATE article_state SET value = 1 WHERE article_id = ? AND field = 'starred'", (article,))
            if connection.total_changes == 0:
                connection.execute("INSERT INTO article_state (article_id, field, value, changed_at, device, server_rev) VALUES (?, 'starred', 1, 0, 'backup', 0)", (article,))
            for suffix in ("", "-wal", "-shm"):
                shutil.copyfile(db + suffix, copy + suffix)
            """
        let result = try run("/usr/bin/python3", ["-c", script, db, copy, id])
        guard result.status == 0 else { throw TestError("snapshot → \(result.status): \(result.err)") }
    }
}

/// A filesystem mounted for one test at a directory of `scratch` (kept alive with it), unmounted by
/// `unmount()` or on deinit.
final class Mount {
    let path: String
    private let scratch: TemporaryDirectory
    private var mounted = false

    /// A tmpfs of `size` (e.g. "3m").
    init(tmpfs size: String, in scratch: TemporaryDirectory) throws {
        self.scratch = scratch
        path = scratch.path("tmpfs")
        try Self.requireRoot()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.mount(["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path])
        mounted = true
    }

    /// `source` (a directory of `scratch`) bound read-only.
    init(readOnlyBind source: String, in scratch: TemporaryDirectory) throws {
        self.scratch = scratch
        path = scratch.path("readonly")
        try Self.requireRoot()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.mount(["--bind", source, path])
        mounted = true
        try Self.mount(["-o", "remount,ro,bind", path])
    }

    func remount(size: String) throws {
        try Self.mount(["-o", "remount,size=\(size)", path])
    }

    func unmount() throws {
        guard mounted else { return }
        let result = try run("/usr/bin/env", ["umount", path])
        guard result.status == 0 else { throw TestError("umount \(path) → \(result.status): \(result.err)") }
        mounted = false
    }

    deinit { try? unmount() }

    private static func requireRoot() throws {
        guard getuid() == 0 else {
            throw TestError("this test mounts filesystems and needs root (Tools/test runs as root in CI)")
        }
    }

    private static func mount(_ arguments: [String]) throws {
        let result = try run("/usr/bin/env", ["mount"] + arguments)
        guard result.status == 0 else { throw TestError("mount \(arguments) → \(result.status): \(result.err)") }
    }
}
