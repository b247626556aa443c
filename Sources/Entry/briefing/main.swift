// `briefing`: the CLI on libcurl, which CCurl loads with dlopen on the first transfer, so the reading
// commands start with neither libcurl nor FoundationNetworking mapped (docs/BENCHMARKS.md, "Start-up").
import BriefingCLI
import BriefingCurl
#if canImport(Glibc)
import Glibc
#endif

// `BRIEFING_TRANSPORT=urlsession` asks for URLSession, which lives in `briefing-urlsession` beside this
// binary: run that instead, with the same arguments and environment, before anything is opened.
if let choice = getenv("BRIEFING_TRANSPORT"), String(cString: choice) == "urlsession" {
    var own = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &own, own.count - 1)
    let directory = length > 0 ? String(decoding: own[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    let sibling = String(directory[..<(directory.lastIndex(of: "/") ?? directory.startIndex)]) + "/briefing-urlsession"
    execv(sibling, CommandLine.unsafeArgv)
    let reason = String(cString: strerror(errno))
    let message = "briefing: error: BRIEFING_TRANSPORT=urlsession needs \(sibling): \(reason)\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(78)
}

await runBriefing { CurlTransport(configuration: $0) }
