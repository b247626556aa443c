// `briefing-urlsession`: the same CLI as `briefing`, on URLSession (FoundationNetworking on Linux) instead of
// libcurl. `briefing` runs it when `BRIEFING_TRANSPORT=urlsession`; it is a binary of its own so that
// `briefing` does not load FoundationNetworking, its libcurl and ICU-heavy start-up for every command.
import BriefingCLI
import BriefingURLSession

await runBriefing { URLSessionTransport(configuration: $0) }
