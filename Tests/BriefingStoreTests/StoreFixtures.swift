import Foundation
import BriefingModel
import BriefingProtocol
@testable import BriefingStore

/// A fresh store in a temporary directory, initialised as device `here` following a Briefing server.
final class StoreFixture {
    let directory: URL
    let store: BriefingStore
    var path: String { store.path }

    init(kind: ServerKind = .briefing, policy: ConflictPolicy = .default) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try BriefingStore.open(path: directory.appendingPathComponent("briefing.sqlite").path, create: true)
        var settings = SyncSettings(device: "here")
        settings.serverURL = "http://127.0.0.1:1/"
        settings.serverKind = kind
        settings.policy = policy
        try store.saveSettings(settings)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Applies a page holding `articles` (revision 1 unless given).
    @discardableResult
    func add(_ articles: [PulledArticle], token: String = "t1") throws -> PullTally {
        try store.applyPage(PulledPage(articles: articles, nextToken: token))
    }
}

func article(_ id: String, title: String = "Title", body: String = "Body text", day: Int = 1, revision: Int64 = 1,
             tags: [String] = [], states: [StateField: ServerState] = [:]) -> PulledArticle {
    PulledArticle(
        article: Article(id: id, url: "https://example.com/\(id)", title: title, contentText: body,
                         datePublished: Timestamp(milliseconds: Int64(day) * 86_400_000), tags: tags, revision: revision),
        bodyText: body, states: states)
}

func server(_ value: Bool, at ms: Int64, by device: String = "other", rev: Int64) -> ServerState {
    ServerState(state: FieldState(value: value, changedAt: Timestamp(milliseconds: ms), device: device), rev: rev)
}
