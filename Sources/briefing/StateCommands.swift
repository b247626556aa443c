import ArgumentParser
import Foundation
import BriefingModel
import BriefingStore
import BriefingText

/// The `export` file: `{"format": "briefing-state", "version": 1, "exported_at", "device", "server",
/// "articles": [{"id", "url", "read": {"value", "changed_at", "device"}, "starred": {…}}]}`.
enum StateFile {
    static let format = "briefing-state"
    static let version = 1

    static func encode(_ states: [ExportedState], settings: SyncSettings, at time: Timestamp) -> JSON {
        .object([
            ("format", .string(format)), ("version", .int(version)), ("exported_at", .time(time)),
            ("device", .string(settings.device)), ("server", .optional(settings.serverURL)),
            ("articles", .array(states.map { exported in
                var members: [(String, JSON)] = [("id", .string(exported.articleID)), ("url", .optional(exported.url))]
                for field in StateField.allCases {
                    guard let state = exported.states[field] else { continue }
                    members.append((field.rawValue, .object([
                        ("value", .bool(state.value)), ("changed_at", .time(state.changedAt)),
                        ("device", .string(state.device)),
                    ])))
                }
                return .object(members)
            })),
        ])
    }

    /// Reads an export; anything else is a `Failure` with exit 65 naming what is wrong.
    static func decode(_ data: Data, file: String) throws -> [ExportedState] {
        func malformed(_ detail: String) -> Failure {
            Failure(message: "\(file) is not a briefing state export: \(detail)", status: .malformedData)
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw malformed("not a JSON object")
        }
        guard root["format"] as? String == format else { throw malformed("no \"format\": \"\(format)\"") }
        guard root["version"] as? Int == version else { throw malformed("unsupported version \(root["version"] ?? "none")") }
        guard let articles = root["articles"] as? [[String: Any]] else { throw malformed("no \"articles\" array") }
        return try articles.enumerated().map { index, article in
            guard let id = article["id"] as? String, !id.isEmpty else { throw malformed("article \(index + 1) has no id") }
            var states: [StateField: FieldState] = [:]
            for field in StateField.allCases {
                guard let member = article[field.rawValue] else { continue }
                guard let state = member as? [String: Any], let value = state["value"] as? Bool,
                      let time = (state["changed_at"] as? String).flatMap(Timestamp.init(rfc3339:))
                else { throw malformed("article \(id): \(field.rawValue) needs a boolean value and an RFC 3339 changed_at") }
                states[field] = FieldState(value: value, changedAt: time, device: state["device"] as? String ?? "")
            }
            return ExportedState(articleID: id, url: article["url"] as? String, states: states)
        }
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every article's read/starred state, with its changed_at, as JSON.",
        discussion: """
            Articles are named by id and url, so 'briefing import-state' can carry the state to another \
            store, even one whose server gives the articles other ids. Only fields that were ever set are \
            written. The file holds no token and no article text. Written to stdout unless --output.
            """)

    @OptionGroup var options: StoreOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file (created 0600) instead of stdout.", valueName: "file"))
    var output: String?

    func run() async throws {
        try await guarded {
            let (store, settings) = try options.openInitialised()
            let states = try store.exportStates()
            let text = StateFile.encode(states, settings: settings, at: deviceClock()).encoded + "\n"
            guard let output else {
                print(text, terminator: "")
                return
            }
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8),
                                                 attributes: [.posixPermissions: 0o600])
            else { throw Failure(message: "cannot write \(output)", status: .cannotCreate) }
            Messages.note("exported the state of \(states.count) article\(states.count == 1 ? "" : "s") to \(output)")
        }
    }
}

struct ImportState: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-state",
        abstract: "Apply read/starred state from a 'briefing export' file; the next sync pushes it.",
        discussion: """
            Each article is found by id, else by url; articles this store does not hold are skipped and \
            counted. A field is set when its exported state wins against the local one under this store's \
            conflict rule (last-writer-wins by default: the later changed_at wins), and is queued as a \
            pending mark with its original changed_at, so the next sync pushes it and the server's rules \
            judge it like any other mark. On a plain-feed store the state stays local. Run 'briefing sync' \
            first so the store holds the articles. An unreadable file exits 66, a malformed one 65.
            """)

    @OptionGroup var options: StoreOptions
    @Argument(help: "A file written by 'briefing export'.") var file: String

    func run() async throws {
        try await guarded {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw Failure(message: "cannot read \(file)", status: .unknownArticle)
            }
            let states = try StateFile.decode(data, file: file)
            let (store, _) = try options.openInitialised()
            let tally = try store.importStates(states)
            if options.json {
                options.emit(.object([
                    ("applied", .int(tally.applied)), ("unchanged", .int(tally.unchanged)), ("kept", .int(tally.kept)),
                    ("skipped", .int(tally.unknown.count)), ("skipped_ids", .array(tally.unknown.map(JSON.string))),
                ]))
            } else {
                print("applied \(tally.applied), unchanged \(tally.unchanged), kept local \(tally.kept), "
                      + "skipped \(tally.unknown.count) unknown article\(tally.unknown.count == 1 ? "" : "s")")
                for id in tally.unknown.prefix(10) {
                    Messages.note(TerminalText.sanitize("skipped \(id): no article with this id or url here", singleLine: true))
                }
                if tally.unknown.count > 10 { Messages.note("… and \(tally.unknown.count - 10) more skipped") }
            }
        }
    }
}
