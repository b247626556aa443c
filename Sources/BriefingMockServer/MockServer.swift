import BriefingProtocol
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The mock feed server: the protocol routes under `/v1` and the admin API under `/admin`, each a short
/// handler on `MockFeedService`, wrapped in small middleware (server time, error bodies, faults, auth, gzip).
public enum MockServer {
    /// The router of a service; also what in-process tests drive.
    public static func router(for service: MockFeedService) -> Router<MockServerContext> {
        let router = Router(context: MockServerContext.self)
        router.add(middleware: ServerTimeMiddleware(clock: service.clock,
                                                    maxClockOffset: service.configuration.maxClockOffset))
        router.add(middleware: ErrorBodyMiddleware())

        let protocolRoutes = router.group("v1")
            .add(middleware: FaultMiddleware(faults: service.faults))
        if let accounts = service.configuration.accountsByToken {
            protocolRoutes.add(middleware: BearerAuthMiddleware(accounts: accounts))
        }
        protocolRoutes.add(middleware: GzipMiddleware())
        protocolRoutes.get("changes") { try await service.pullChanges($0, context: $1) }
        protocolRoutes.post("mutations") { try await service.pushMutations($0, context: $1) }

        let admin = router.group("admin").add(middleware: LoopbackOnlyMiddleware())
        admin.post("articles") { try await service.publishArticles($0, context: $1) }
        admin.post("delete") { try await service.deleteArticles($0, context: $1) }
        admin.post("state") { try await service.recordDeviceMark($0, context: $1) }
        admin.get("state") { try await service.showState($0, context: $1) }
        admin.post("faults") { try await service.armFault($0, context: $1) }
        admin.delete("faults") { try await service.clearFaults($0, context: $1) }
        admin.post("expire-tokens") { try await service.expireTokens($0, context: $1) }
        admin.post("reset") { try await service.reset($0, context: $1) }
        return router
    }

    /// The application serving `service` on its configured host and port; `onListening` gets the address
    /// really bound (the port chosen by the system when the configuration says 0).
    public static func application(
        for service: MockFeedService,
        onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void = { _, _ in }
    ) -> some ApplicationProtocol {
        var logger = Logger(label: "briefing-mock-server", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        let host = service.configuration.host
        return Application(
            router: router(for: service),
            configuration: .init(address: .hostname(host, port: service.configuration.port),
                                 serverName: "briefing-mock-server"),
            onServerRunning: { channel in onListening(host, channel.localAddress?.port ?? service.configuration.port) },
            logger: logger)
    }
}
