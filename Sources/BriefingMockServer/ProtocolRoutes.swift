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
        let page: ChangePage
        do {
            page = try await store.changes(after: token, limit: limit)
        } catch is ExpiredChangeToken {
            throw WireError(.gone, Self.expiredTokenMessage)
        }
        let document = FeedDocument(
            title: "Briefing", items: page.items,
            briefing: PageInfo(nextToken: page.nextToken.description, hasMore: page.hasMore, serverTime: clock.now(),
                               deleted: page.deleted, states: page.states))
        return try .json(document)
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
            decoded = .success(try WireCoding.decoder().decode(PushRequest.self, from: body))
        } catch let error as DecodingError {
            decoded = .failure(.undecodable(DecodingErrorText.describe(error)))
        } catch {
            decoded = .failure(.undecodable("not valid JSON"))
        }
        do {
            let stored = try await store.push(key: key, body: body, request: decoded, policy: configuration.policy,
                                              serverTime: clock.now())
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
