import BriefingProtocol
import Foundation

/// Seeds that cannot be served: an unreadable directory, or a malformed file (the message names it).
public struct SeedError: Error, Sendable, CustomStringConvertible {
    /// The seeds directory itself could not be listed (rather than one file in it being malformed).
    public var isUnreadableDirectory = false
    public var file: String
    public var reason: String
    public var description: String {
        isUnreadableDirectory ? "cannot read seeds directory \(file)" : "malformed seed file \(file): \(reason)"
    }
}

/// The JSON Feed documents of a seeds directory, read once at start; `reset` publishes the same items again.
public enum SeedFeeds {
    /// Every item of every `*.json` feed in `directory`, files in name order.
    public static func load(directory: String) throws(SeedError) -> [FeedItem] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw SeedError(isUnreadableDirectory: true, file: directory, reason: "cannot list it")
        }
        var items: [FeedItem] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                let feed = try WireCoding.decoder().decode(FeedDocument.self, from: data)
                for item in feed.items { try FeedItemCheck.validate(item) }
                items += feed.items
            } catch let error as FeedItemCheck.Invalid {
                throw SeedError(file: path, reason: error.description)
            } catch let error as DecodingError {
                throw SeedError(file: path, reason: error.summary)
            } catch {
                throw SeedError(file: path, reason: "cannot read it")
            }
        }
        return items
    }
}

/// What every served item needs to be a valid JSON Feed item: an id and a body.
enum FeedItemCheck {
    /// Why an item cannot be served.
    struct Invalid: Error, CustomStringConvertible { var description: String }

    static func validate(_ item: FeedItem) throws(Invalid) {
        guard !item.id.isEmpty else { throw Invalid(description: "an item has an empty id") }
        do { try item.requireContent() } catch { throw Invalid(description: error.message) }
    }
}
