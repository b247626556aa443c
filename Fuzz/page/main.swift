// libFuzzer target `fuzz-page`: the pull-page decoder, over the SwiftPM-built BriefingProtocol — the same
// code the sync engine runs on every pulled page. `Tools/fuzz page` fuzzes it; an ordinary build replays
// the files given as arguments (see FuzzDriver).
//
// Checks, for any bytes: nothing crashes; a refused page is `MalformedData` with a one-line,
// terminal-safe message; an accepted page keeps every promise `PageDecoder` makes to the store (ids
// non-empty and bounded, no item twice, revisions and state revs in 0...2^53, a non-empty bounded token,
// and every item's embedded state for the right field).
import Foundation
import BriefingModel
import BriefingProtocol
import BriefingText
import FuzzDriver

func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
    let page: PulledPage
    do {
        (page, _) = try PageDecoder.briefingPage(from: bytes)
    } catch {
        let message = error.message
        require(!message.isEmpty && TerminalText.isSafe(message, singleLine: true),
                "error message is not one terminal-safe line: \(message.debugDescription)")
        return 0
    }
    func checkID(_ id: String) {
        require(!id.isEmpty && id.utf8.count <= PageDecoder.maxIDLength, "accepted a bad id \(id.debugDescription)")
    }
    let range = 0...PageDecoder.maxRevision
    var ids = Set<String>()
    for pulled in page.articles {
        checkID(pulled.article.id)
        require(ids.insert(pulled.article.id).inserted, "accepted item \(pulled.article.id.debugDescription) twice")
        require(range.contains(pulled.article.revision), "accepted revision \(pulled.article.revision)")
        require(pulled.article.contentHTML != nil || pulled.article.contentText != nil, "accepted an item without content")
        for (_, state) in pulled.states { require(range.contains(state.rev), "accepted state rev \(state.rev)") }
    }
    for change in page.states {
        checkID(change.articleID)
        require(range.contains(change.server.rev), "accepted state rev \(change.server.rev)")
    }
    for id in page.deleted { checkID(id) }
    let token = page.nextToken ?? ""
    require(!token.isEmpty && token.utf8.count <= PageDecoder.maxTokenLength, "accepted token \(token.debugDescription)")
    return 0
}

runFuzzTarget(fuzzPage)
