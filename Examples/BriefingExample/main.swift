// An app's use of BriefingKit, start to finish, with nothing but the public API: open a store, connect to a
// server, sync while printing the events, mark an article read offline, sync again to push the mark.
//
//   swift run briefing-example SERVER_URL STORE_PATH
//
// Tools/test runs it against a briefing-mock-server it starts.
import BriefingKit
import BriefingURLSession
import Foundation

@main
struct BriefingExample {
    static func main() async {
        let arguments = CommandLine.arguments
        guard arguments.count == 3, let server = URL(string: arguments[1]) else {
            print("usage: briefing-example SERVER_URL STORE_PATH")
            exit(64)
        }
        do {
            try await run(server: server, storePath: arguments[2])
        } catch {
            print("example failed: \(error)")
            exit(1)
        }
    }

    static func run(server: URL, storePath: String) async throws {
        let client = try BriefingClient.open(at: storePath, transport: RetryingTransport(URLSessionTransport()))
        let observer = Task {
            for await event in client.events { print("event: \(describe(event))") }
        }

        guard case .connected(let kind) = try await client.connect(to: server, settings: SyncSettings(device: "example-app"))
        else { throw ExampleFailure("the store holds another server's articles") }
        print("connected to a \(kind) server")

        let first = try await client.sync()
        print("first sync: pulled \(first.pulled) articles in \(first.pages) pages")

        let unread = try client.list(.unread, limit: 3)
        guard let article = unread.first else { throw ExampleFailure("the server has no articles") }
        print("reading offline: \(article.title ?? article.id)")
        try client.mark(.read, [article.id])
        print("pending marks: \(try client.status().pending)")

        let second = try await client.sync()
        print("second sync: pushed \(second.pushed), pending marks now \(try client.status().pending)")

        // Let the observer print what is still buffered, then stop it.
        try await Task.sleep(for: .milliseconds(200))
        observer.cancel()
    }

    static func describe(_ event: SyncEvent) -> String {
        switch event {
        case .pushSettled(let marks, let report): "push settled (\(marks) marks, \(report.pushed) so far)"
        case .pageCommitted(let articles, let report): "page committed (\(articles) articles, \(report.pages) pages so far)"
        case .conflictJudged(let record): "conflict on \(record.field) of \(record.articleID): \(record.winner) won by \(record.rule)"
        case .warning(let text): "warning: \(text)"
        }
    }
}

struct ExampleFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
