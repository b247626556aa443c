import Foundation
import Testing
import BriefingModel
import BriefingProtocol

/// A push's body and its answer go through `WireJSONWriter` and `FastWireReader` for speed. Both are
/// accelerators only: the writer writes exactly `JSONEncoder`'s bytes, and the reader answers exactly what
/// `JSONDecoder` answers, or not at all.
struct PushWireTests {
    static let awkward = String(decoding: (0..<128).map(UInt8.init), as: UTF8.self) + "\"\\/ é \u{202E} 🗞 \u{0301}"

    func randomText(_ random: inout SplitMix) -> String {
        let pieces = ["plain", " ", "\"", "\\", "/", "\n", "\u{01}", "\u{7F}", "é", "e\u{301}", "漢字", "😀", "\u{0}", Self.awkward]
        return (0..<random.next(6)).map { _ in pieces[random.next(pieces.count)] }.joined()
    }

    func randomRequest(_ random: inout SplitMix, count: Int) -> PushRequest {
        PushRequest(mutations: (0..<count).map { _ in
            Mutation(mutationID: randomText(&random), articleID: randomText(&random),
                     field: random.next(2) == 0 ? .read : .starred, value: random.next(2) == 0,
                     changedAt: Timestamp(milliseconds: Int64(random.next(1 << 42))), device: randomText(&random),
                     baseRev: Int64(random.next(1 << 40)) - (1 << 20),
                     rule: random.next(3) == 0 ? nil : ConflictRule.allCases[random.next(ConflictRule.allCases.count)])
        })
    }

    func randomResponse(_ random: inout SplitMix, count: Int) -> PushResponse {
        let statuses: [MutationStatus] = [.applied, .duplicate, .conflict, .gone]
        return PushResponse(serverTime: Timestamp(milliseconds: Int64(random.next(1 << 42))), results: (0..<count).map { _ in
            MutationResult(mutationID: randomText(&random), articleID: randomText(&random),
                           field: random.next(2) == 0 ? .read : .starred, status: statuses[random.next(4)],
                           state: random.next(4) == 0 ? nil : StateRecord(
                               value: random.next(2) == 0, changedAt: Timestamp(milliseconds: Int64(random.next(1 << 42))),
                               device: randomText(&random), rev: Int64(random.next(1 << 40))),
                           rule: random.next(3) == 0 ? nil : ConflictRule.allCases[random.next(ConflictRule.allCases.count)],
                           clockAdjustedMs: random.next(3) == 0 ? Int64(random.next(1 << 30)) - (1 << 29) : nil)
        })
    }

    @Test func pushBodiesAreWrittenExactlyAsJSONEncoderWritesThem() throws {
        var random = SplitMix(seed: 14)
        for round in 0..<100 {
            let request = randomRequest(&random, count: round % 12)
            var writer = WireJSONWriter()
            writer.pushRequest(request)
            #expect(writer.bytes == Array(try WireCoding.encoder().encode(request)), "round \(round)")
        }
    }

    @Test func pushResultsAreWrittenExactlyAsJSONEncoderWritesThem() throws {
        var random = SplitMix(seed: 15)
        for round in 0..<100 {
            let response = randomResponse(&random, count: round % 12)
            var writer = WireJSONWriter()
            writer.pushResponse(serverTime: response.serverTime, results: response.results.map { result in
                var one = WireJSONWriter()
                one.mutationResult(result)
                return String(decoding: one.bytes, as: UTF8.self)
            })
            #expect(writer.bytes == Array(try WireCoding.encoder().encode(response)), "round \(round)")
        }
    }

    @Test func pushBodiesAndAnswersReadExactlyAsJSONDecoderReadsThem() throws {
        var random = SplitMix(seed: 16)
        for round in 0..<100 {
            let request = try WireCoding.encoder().encode(randomRequest(&random, count: round % 12))
            let fastRequest = try #require(FastWireReader.pushRequest(from: request), "declined request \(round)")
            let slowRequest = try JSONDecoder().decode(PushRequest.self, from: request)
            #expect(fastRequest == slowRequest)
            #expect(fastRequest.mutations.map { Array($0.mutationID.utf8) } == slowRequest.mutations.map { Array($0.mutationID.utf8) })

            let response = try WireCoding.encoder().encode(randomResponse(&random, count: round % 12))
            let fastResponse = try #require(FastWireReader.pushResponse(from: response), "declined response \(round)")
            #expect(fastResponse == (try JSONDecoder().decode(PushResponse.self, from: response)))
        }
    }

    @Test func handWrittenPushesReadAsJSONDecoderReadsThemOrAreLeftToIt() throws {
        let mutation = { (members: String) in #"{"mutations":[{"# + members + "}]}" }
        let complete = #""mutation_id":"m","article_id":"a","field":"read","value":true,"changed_at":"2026-11-29T08:00:00.000Z","device":"d","base_rev":3"#
        let requests = [
            mutation(complete),
            mutation(complete + #","rule":null,"extra":[1,{"x":null}]"#),
            mutation(complete + #","rule":"read-wins""#),
            #"{"mutations":[],"other":1}"#,
            // Refused by JSONDecoder: the fast reader must not accept them either.
            mutation(complete + #","rule":"loudest-wins""#),
            mutation(complete.replacingOccurrences(of: #""field":"read""#, with: #""field":"seen""#)),
            mutation(complete.replacingOccurrences(of: #""base_rev":3"#, with: #""base_rev":3.5"#)),
            mutation(complete.replacingOccurrences(of: #""base_rev":3"#, with: #""base_rev":"3""#)),
            mutation(complete.replacingOccurrences(of: #""value":true"#, with: #""value":1"#)),
            mutation(complete.replacingOccurrences(of: "2026-11-29T08:00:00.000Z", with: "yesterday")),
            mutation(complete.replacingOccurrences(of: #","device":"d""#, with: "")),
            #"{"mutations":null}"#,
            #"{"mutation":[]}"#,
            #"[]"#,
            mutation(complete) + " trailing",
        ]
        for text in requests {
            let data = Data(text.utf8)
            let slow = try? JSONDecoder().decode(PushRequest.self, from: data)
            let fast = FastWireReader.pushRequest(from: data)
            if let slow {
                if let fast { #expect(fast == slow, "\(text)") }  // declining is allowed
            } else {
                #expect(fast == nil, "fast reader accepted what JSONDecoder refuses: \(text)")
            }
        }
        let result = #"{"server_time":"2026-11-29T08:00:00.000Z","results":[{"mutation_id":"m","article_id":"a","field":"read","status":"#
        let responses = [
            result + #""gone"}]}"#,
            result + #""applied","state":null,"rule":null,"clock_adjusted_ms":null}]}"#,
            result + #""conflict","state":{"value":false,"changed_at":"2026-11-29T08:00:00.000Z","device":"d","rev":7},"clock_adjusted_ms":-60001}]}"#,
            result + #""lost"}]}"#,
            result + #""applied","clock_adjusted_ms":1.5}]}"#,
            result + #""applied","state":{"value":false}}]}"#,
        ]
        for text in responses {
            let data = Data(text.utf8)
            let slow = try? JSONDecoder().decode(PushResponse.self, from: data)
            let fast = FastWireReader.pushResponse(from: data)
            if let slow {
                if let fast { #expect(fast == slow, "\(text)") }  // declining is allowed
            } else {
                #expect(fast == nil, "fast reader accepted what JSONDecoder refuses: \(text)")
            }
        }
    }
}
