import BriefingModel
import BriefingProtocol
import Foundation
import HTTPTypes
import Hummingbird

extension MockFeedService {
    static let expiredTokenMessage = "change token expired; resync from the beginning"

    /// `GET /v1/changes?token=T&limit=N`: one pull page as a JSON Feed 1.1 document.
    func pullChanges(_ request: Request, context: MockServerContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let token = parameters.get(Endpoint.tokenParameter).flatMap { $0.isEmpty ? nil : $0 }
        var limit = configuration.pageSize
        if let text = parameters.get(Endpoint.limitParameter) {
            guard let asked = Int(text) else { throw WireError(.badRequest, "limit must be a whole number, got '\(text)'") }
            limit = min(max(asked, 1), Endpoint.maxLimit)
        }
        // A pull from the beginning is the same page until the next change, so plain HTTP clients and
        // caches get an ETag and a 304. It is taken before the page is read: a change landing in between
        // makes the tag older than the page, which costs one extra 200, never a stale 304.
        var etag: String?
        if token == nil {
            let current = try await store.currentToken()
            etag = "\"pull-\(current.epoch)-\(current.sequence)-\(limit)\""
            if let etag, let asked = request.headers[.ifNoneMatch], Self.matches(asked, etag) {
                return Response(status: .notModified, headers: [.eTag: etag])
            }
        }
        let page: ChangePage
        do {
            page = try await store.changes(after: token, limit: limit, account: context.account)
        } catch is ExpiredChangeToken {
            throw WireError(.gone, Self.expiredTokenMessage)
        }
        var writer = WireJSONWriter(capacity: page.items.reduce(4096) { $0 + $1.json.utf8.count + 200 })
        writer.page(title: "Briefing", items: page.items,
                    info: PageInfo(nextToken: page.nextToken.description, hasMore: page.hasMore, serverTime: clock.now(),
                                   deleted: page.deleted, states: page.states))
        var response = Response(status: .ok, headers: [.contentType: Endpoint.feedMediaType],
                                body: .init(byteBuffer: writer.byteBuffer))
        if let etag { response.headers[.eTag] = etag }
        return response
    }

    /// `If-None-Match` against an entity tag, by weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag
    /// with or without `W/`.
    static func matches(_ ifNoneMatch: String, _ etag: String) -> Bool {
        ifNoneMatch.split(separator: ",").contains { candidate in
            let tag = candidate.trimmingCharacters(in: .whitespaces)
            return tag == "*" || (tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag) == etag
        }
    }

    /// `POST /v1/mutations`: judges a push, or replays the stored answer for a retried Idempotency-Key.
    func pushMutations(_ request: Request, context: MockServerContext) async throws -> Response {
        guard let key = request.headers[.idempotencyKey], !key.isEmpty else {
            throw WireError(.badRequest, "missing \(Endpoint.idempotencyKeyHeader) header")
        }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let body = Data(buffer.readableBytesView)
        let decoded: Result<PushRequest, PushRejection>
        do {
            // The byte-level reader for a well-formed body; `JSONDecoder` for anything else, which explains.
            decoded = .success(try FastWireReader.pushRequest(from: body)
                ?? WireCoding.decoder().decode(PushRequest.self, from: body))
        } catch let error as DecodingError {
            decoded = .failure(.undecodable(error.summary))
        } catch {
            decoded = .failure(.undecodable("not valid JSON"))
        }
        var clientTime: Timestamp?
        if let reading = request.headers[.clientTime] {
            guard let time = Timestamp(rfc3339: reading) else {
                throw WireError(.badRequest, "\(Endpoint.clientTimeHeader) is not an RFC 3339 time")
            }
            clientTime = time
        }
        do {
            let stored = try await store.push(account: context.account, key: key, body: body, request: decoded,
                                              policy: configuration.policy,
                                              clock: PushClock(serverNow: clock.now(), clientTime: clientTime,
                                                               bound: configuration.maxClockOffset))
            return .json(stored.body, status: HTTPResponse.Status(code: stored.status))
        } catch let rejection as PushRejection {
            switch rejection {
            case .keyReusedWithDifferentBody:
                throw WireError(.unprocessableContent,
                                "\(Endpoint.idempotencyKeyHeader) '\(key)' was already used with a different body")
            case let .undecodable(reason):
                throw WireError(.badRequest, "push body is not a mutation list: \(reason)")
            case let .tooManyMutations(count):
                throw WireError(.contentTooLarge,
                                "a push carries at most \(Endpoint.maxMutationsPerPush) mutations, got \(count)")
            }
        }
    }
}
