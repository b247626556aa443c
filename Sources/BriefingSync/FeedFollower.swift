import Foundation
import Logging
import BriefingModel
import BriefingProtocol
import BriefingStore
import BriefingText

/// Follows a plain JSON Feed (no change tokens): a conditional GET with the validators of the last fetch,
/// items diffed by id and `date_modified`, `next_url` pages read as backfill. A plain feed is a window, not
/// a set: items that leave it stay until `prune` removes them. Marks stay on this device.
///
/// The document is downloaded to a file beside the store (`STORE.feed-download`, removed afterwards) and
/// read from it a chunk at a time, twice: once to check that it is a JSON Feed at all (nothing is stored
/// otherwise), once to decode its items and commit them in batches — so memory does not grow with the
/// feed. A flaw costs the smallest unit it can: a field (dropped) or an item (skipped), each a warning.
struct FeedFollower {
    let client: ProtocolClient
    let store: BriefingStore
    let feedURL: URL
    let settings: SyncSettings
    /// `sync --full`: fetch without validators, so the feed is read again even when the server says 304.
    var unconditional = false
    var now: @Sendable () -> Timestamp = { .now }
    var events: (@Sendable (SyncEvent) -> Void)?
    var logger = Logger(label: "briefing.sync")

    /// At most this many `next_url` pages are read in one sync.
    static let maxBackfillPages = 50
    /// Seconds of retrying a backfill page: it is a bonus, and an unreachable host must not hold the sync.
    static let backfillRetryBudget: TimeInterval = 2
    /// Document bytes read per transaction: a typical feed lands in one, a huge one in several.
    static let bytesPerTransaction = 32 << 20
    /// Document bytes read (and items decoded and applied) at a time.
    static let chunkSize = 256 << 10

    func run(_ report: inout SyncReport) async throws(SyncError) {
        let download = URL(fileURLWithPath: store.path + ".feed-download")
        defer { try? FileManager.default.removeItem(at: download) }
        var headers = accept + client.authorization
        if !unconditional {
            if let etag = settings.feedETag { headers.append(("If-None-Match", etag)) }
            if let modified = settings.feedLastModified { headers.append(("If-Modified-Since", modified)) }
        }
        let first = try await client.send(TransportRequest(url: feedURL, headers: headers, responseBodyFile: download))
        if first.status == 304 {
            // Nothing to parse or apply; a 304 may carry fresher validators (RFC 9110 §15.4.5).
            report.notModified = true
            try saveValidators(etag: first.header("etag") ?? settings.feedETag,
                               lastModified: first.header("last-modified") ?? settings.feedLastModified)
            return
        }
        try check(first, feedURL)
        var page = try read(first, from: feedURL, &report)
        // The feed document itself is stored: the sync has succeeded, and its validators describe it. What
        // follows is backfill, which may fail without costing anything that landed.
        try saveValidators(etag: first.header("etag"), lastModified: first.header("last-modified"))
        var url = feedURL
        var visited: Set<String> = [Self.identity(feedURL)]
        var followed = 0
        while let next = page.header.nextURL, !next.isEmpty {
            guard settings.lastSync == nil || unconditional || page.onlyNewItems else { break }
            guard followed < Self.maxBackfillPages else {
                warn(FeedWarning(item: nil, reason: "next_url pages beyond \(Self.maxBackfillPages) not read in one sync"), &report)
                break
            }
            do throws(SyncError) {
                let nextURL = try backfillURL(next, from: url, visited: &visited)
                // The bearer token is for the feed's own origin, never for a host a next_url points at.
                let authorization = Self.sameOrigin(nextURL, feedURL) ? client.authorization : []
                let response = try await client.send(TransportRequest(
                    url: nextURL, headers: accept + authorization, responseBodyFile: download,
                    retryBudget: Self.backfillRetryBudget))
                try check(response, nextURL)
                page = try read(response, from: nextURL, &report)
                url = nextURL
                followed += 1
            } catch .cancelled {
                throw .cancelled
            } catch .store(let error) {
                throw .store(error)
            } catch {
                warn(FeedWarning(item: nil, reason: "next_url page not read, the pages before it are kept: \(error.description)"), &report)
                break
            }
        }
    }

    /// What one document brought: its header, and whether every item in it was new to this store.
    struct Page {
        var header: PlainFeedHeader
        var onlyNewItems: Bool
    }

    /// Reads one fetched document: checks it whole, then stores its items as they are decoded, a chunk's
    /// worth at a time, in one transaction per `bytesPerTransaction` of document (a typical feed: one). A
    /// document that is not a JSON Feed stores nothing.
    func read(_ response: TransportResponse, from url: URL, _ report: inout SyncReport) throws(SyncError) -> Page {
        var headerReader = PlainFeedHeaderReader()
        var source = try SyncError.decoding { () throws(MalformedData) in try ChunkSource(response) }
        let header = try SyncError.decoding { () throws(MalformedData) in
            while let chunk = try source.next() { try headerReader.consume(chunk) }
            return try headerReader.finish()
        }
        source = try SyncError.decoding { () throws(MalformedData) in try ChunkSource(response) }
        var items = PlainFeedItemReader(header: header, fetchedFrom: url)
        var kept = 0, inserted = 0, finished = false
        var failure: MalformedData?
        while !finished {
            if Task.isCancelled { throw .cancelled }
            var tally = PullTally()
            try storeCall { () throws(StoreError) in
                try store.applyPages(now: now()) { apply in
                    var read = 0
                    while read < Self.bytesPerTransaction {
                        let articles: [PulledArticle]
                        do throws(MalformedData) {
                            guard let chunk = try source.next() else {
                                try items.finish()
                                finished = true
                                return
                            }
                            read += chunk.count
                            let (decoded, warnings) = try items.consume(chunk)
                            for warning in warnings { warn(warning, &report) }
                            articles = decoded
                        } catch {
                            // Only reading our own download can fail here (the first pass checked the
                            // document): keep what was applied, then report it.
                            failure = error
                            finished = true
                            return
                        }
                        guard !articles.isEmpty else { continue }
                        let applied = try apply(PulledPage(articles: articles))
                        kept += articles.count
                        inserted += applied.inserted
                        tally.pulled += applied.pulled
                        tally.inserted += applied.inserted
                    }
                }
            }
            report.add(tally)
            events?(.pageCommitted(articles: tally.pulled, report: report))
        }
        if let failure { throw .malformed(failure.message) }
        report.pages += 1
        report.feedItems += header.itemCount
        report.feedItemsKept += kept
        return Page(header: header, onlyNewItems: kept > 0 && inserted == kept)
    }

    /// A response's body a chunk at a time: from the file the transport wrote, else from memory (a
    /// transport that does not write files).
    struct ChunkSource {
        private let handle: FileHandle?
        private let file: URL?
        private let body: Data
        private var offset = 0

        init(_ response: TransportResponse) throws(MalformedData) {
            body = response.body
            file = response.bodyFile
            if let file = response.bodyFile {
                guard let handle = try? FileHandle(forReadingFrom: file) else {
                    throw MalformedData("the downloaded feed at \(file.path) cannot be read")
                }
                self.handle = handle
            } else {
                handle = nil
            }
        }

        /// The next chunk, or nil at the end (the file is closed then).
        mutating func next() throws(MalformedData) -> Data? {
            guard let handle else {
                guard offset < body.count else { return nil }
                defer { offset += FeedFollower.chunkSize }
                return body.subdata(in: offset..<min(body.count, offset + FeedFollower.chunkSize))
            }
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: FeedFollower.chunkSize)
            } catch {
                throw MalformedData("the downloaded feed at \(file?.path ?? "") cannot be read: \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else {  // nil or empty: the end of the file
                try? handle.close()
                return nil
            }
            return chunk
        }
    }

    /// Where a `next_url` leads, if it may be followed: http(s), not a page this sync already read, and not
    /// plain http off this machine (the same rule as `init --server`).
    func backfillURL(_ next: String, from url: URL, visited: inout Set<String>) throws(SyncError) -> URL {
        guard let nextURL = URL(string: next, relativeTo: url)?.absoluteURL,
              let scheme = nextURL.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw .malformed("next_url '\(TerminalText.clip(next))' is not an http(s) URL")
        }
        guard visited.insert(Self.identity(nextURL)).inserted else {
            throw .malformed("next_url loops back to \(TerminalText.clip(nextURL.absoluteString)), a page already read")
        }
        if scheme == "http", (try? ServerURLPolicy.check(nextURL, allowInsecureHTTP: settings.allowInsecureHTTP)) == nil {
            throw .malformed("next_url \(TerminalText.clip(nextURL.absoluteString)) is plain http to another host")
        }
        return nextURL
    }

    /// Keeps a warning in the report (the first `SyncReport.maxWarnings` in full) and hands it on as an event.
    func warn(_ warning: FeedWarning, _ report: inout SyncReport) {
        report.warningCount += 1
        if warning.skipsItem { report.feedItemsSkipped += 1 }
        if warning.field != nil { report.feedFieldsDropped += 1 }
        if report.warnings.count < SyncReport.maxWarnings { report.warnings.append(warning) }
        events?(.warning(warning.description))
    }

    private var accept: [(String, String)] { [Endpoint.acceptFeed] }

    func saveValidators(etag: String?, lastModified: String?) throws(SyncError) {
        try storeCall { () throws(StoreError) in try store.saveFeedValidators(etag: etag, lastModified: lastModified) }
    }

    /// Maps a failed feed fetch to the user's error; unlike the protocol, a 404 here is a missing page.
    func check(_ response: TransportResponse, _ url: URL) throws(SyncError) {
        switch response.status {
        case 200..<300: return
        case 404, 410: throw .malformed("feed page \(TerminalText.clip(url.absoluteString)) not found (\(response.status))")
        default: try ProtocolClient.check(response, during: "feed fetch")
        }
    }

    /// A URL as loop detection compares it: without its fragment, which never reaches the server.
    static func identity(_ url: URL) -> String {
        let text = url.absoluteString
        return text.firstIndex(of: "#").map { String(text[..<$0]) } ?? text
    }

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased() && a.port == b.port
    }
}
