import ArgumentParser
import Foundation
import BriefingProtocol
import BriefingStore
import BriefingSync

struct Mark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mark",
        abstract: "Mark articles read, unread, starred or unstarred; works offline.",
        discussion: "The change applies at once and is queued for the next sync. Marking the same field again replaces the queued change.")

    @OptionGroup var options: StoreOptions
    @Argument(help: "read, unread, star or unstar.") var action: MarkAction
    @Argument(help: "Article ids or handles.") var ids: [String] = []
    @Flag(help: "Apply to every article in the store.") var all = false

    func validate() throws {
        if all && !ids.isEmpty { throw ValidationError("give article ids or --all, not both") }
        if !all && ids.isEmpty { throw ValidationError("give at least one article id or handle, or --all") }
    }

    func run() async throws {
        try await guarded {
            let (store, _) = try options.openInitialised()
            let changed = try store.mark(action, all ? nil : ids, wallClock: deviceClock())
            if options.json {
                options.emit(.object([("action", .string(action.rawValue)), ("changed", .int(changed))]))
            } else {
                print("marked \(changed) article\(changed == 1 ? "" : "s") \(action.rawValue == "star" ? "starred" : action.rawValue == "unstar" ? "unstarred" : action.rawValue)")
            }
        }
    }
}

extension MarkAction: ExpressibleByArgument {}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add the items of a local JSON Feed file to the store (offline).",
        discussion: "Creates the store when there is none. Items keep their _briefing revision and state when present. A full resync later removes imported articles the server does not have.")

    @OptionGroup var options: StoreOptions
    @Argument(help: "A JSON Feed 1.0/1.1 file.") var file: String
    @Option(help: "Device name when a new store is created.") var device: String?

    func run() async throws {
        try await guarded {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw Failure(message: "cannot read \(file)", status: .unknownArticle)
            }
            let page: PulledPage
            do {
                page = try PageDecoder.importPage(from: data)
            } catch let error as MalformedData {
                throw Failure(message: error.message, status: .malformedData)
            }
            let store = try options.open(create: true)
            if try store.settings() == nil {
                try store.saveSettings(SyncSettings(device: device ?? defaultDeviceName()))
            }
            let tally = try store.applyPage(page)
            if options.json {
                options.emit(.object([("imported", .int(tally.pulled)), ("items", .int(page.articles.count))]))
            } else {
                print("imported \(tally.pulled) of \(page.articles.count) items")
            }
        }
    }
}

/// `HOST-xxxx`: readable, and distinct between two stores on one machine.
func defaultDeviceName() -> String {
    let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "device"
    let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
    return "\(host.isEmpty ? "device" : host)-\(suffix)"
}
