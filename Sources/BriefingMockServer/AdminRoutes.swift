import BriefingModel
import BriefingProtocol
import Foundation
import HTTPTypes
import Hummingbird

extension MockFeedService {
    /// `POST /admin/articles`: one JSON Feed item or `{"items": [...]}`, inserted or updated.
    func publishArticles(_ request: Request, context: MockServerContext) async throws -> Response {
        let body = try await Self.body(of: request, context: context)
        let isBatch = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["items"] != nil
        let items = isBatch ? try Self.decode(ItemBatch.self, from: body).items : [try Self.decode(FeedItem.self, from: body)]
        for item in items {
            do { try FeedItemCheck.validate(item) } catch { throw WireError(.badRequest, error.description) }
        }
        return try .json(["articles": try await store.publish(items)])
    }

    /// `POST /admin/delete`: `{"ids": [...]}` become tombstones.
    func deleteArticles(_ request: Request, context: MockServerContext) async throws -> Response {
        let ids = try Self.decode(IDList.self, from: try await Self.body(of: request, context: context)).ids
        let outcome = try await store.delete(ids: ids)
        return try .json(["deleted": outcome.deleted, "unknown": outcome.unknown])
    }

    /// `POST /admin/state`: a mark by another device, judged by the server's policy.
    func recordDeviceMark(_ request: Request, context: MockServerContext) async throws -> Response {
        let mark = try Self.decode(DeviceMark.self, from: try await Self.body(of: request, context: context))
        return try .json(try await store.record(mark, account: mark.account ?? defaultAccount, policy: configuration.policy,
                                                clock: PushClock(serverNow: clock.now(), bound: configuration.maxClockOffset)))
    }

    /// `GET /admin/state?account=A`: every article with that account's state (default account without
    /// the parameter), and its counters.
    func showState(_ request: Request, context: MockServerContext) async throws -> Response {
        let account = request.uri.queryParameters.get("account").flatMap { $0.isEmpty ? nil : $0 } ?? defaultAccount
        return try .json(try await store.snapshot(account: account))
    }

    /// `POST /admin/faults`: arms a fault, or clears them all with `{"clear": true}`.
    func armFault(_ request: Request, context: MockServerContext) async throws -> Response {
        let body = try await Self.body(of: request, context: context)
        if (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["clear"] as? Bool == true {
            faults.clear()
        } else {
            let fault = try Self.decode(Fault.self, from: body)
            if let count = fault.count, count < 1 { throw WireError(.badRequest, "count must be at least 1") }
            if let status = fault.status, !(100...599).contains(status) {
                throw WireError(.badRequest, "status must be an HTTP status code (100-599)")
            }
            if let problem = fault.problem { throw WireError(.badRequest, problem) }
            faults.arm(fault)
        }
        return try .json(["pending": faults.pending])
    }

    /// `DELETE /admin/faults`: disarms every fault.
    func clearFaults(_ request: Request, context: MockServerContext) async throws -> Response {
        faults.clear()
        return try .json(["pending": faults.pending])
    }

    /// `POST /admin/expire-tokens`: every change token issued so far is answered 410 from now on.
    func expireTokens(_ request: Request, context: MockServerContext) async throws -> Response {
        try await store.expireTokens()
        return try .json(["expired": true])
    }

    /// `POST /admin/reset`: back to the seeds, counters zeroed, every token expired.
    func reset(_ request: Request, context: MockServerContext) async throws -> Response {
        try await store.reset(seeds: configuration.seeds, generated: configuration.generated)
        faults.clear()
        return try .json(["articles": configuration.seeds.count + configuration.generated])
    }

    private static func body(of request: Request, context: MockServerContext) async throws -> Data {
        Data(try await request.body.collect(upTo: context.maxUploadSize).readableBytesView)
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, from body: Data) throws -> Value {
        do {
            return try WireCoding.decoder().decode(type, from: body)
        } catch let error as DecodingError {
            throw WireError(.badRequest, "bad request body: \(error.summary)")
        }
    }
}

/// `{"items": [...]}` for `POST /admin/articles`.
private struct ItemBatch: Decodable { var items: [FeedItem] }

/// `{"ids": [...]}` for `POST /admin/delete`.
private struct IDList: Decodable { var ids: [String] }
