// The OpenAI-compatible server: routes, error shape, authorization and metrics around the model manager.
import Foundation
import Inference

public final class MergeGuardServer: Sendable {
    public let registry: ModelRegistry
    public let manager: ModelManager
    public let metrics = ServerMetrics()
    public let readiness = Readiness()
    let http: HTTPServer

    /// `apiKeys` adds to the registry's keys (e.g. from MERGEGUARD_API_KEYS); with no key at all the API is open.
    public init(registry: ModelRegistry, loader: @escaping ModelManager.Loader, host: String? = nil, port: Int? = nil,
                apiKeys: [String] = [], configuration: HTTPServerConfiguration? = nil) {
        self.registry = registry
        manager = ModelManager(registry: registry, loader: loader)
        let fingerprint = "mergeguard-\(InferenceVersion.string)"
        let completions = CompletionService(manager: manager, metrics: metrics, systemFingerprint: fingerprint)
        let models = ModelRoutes(manager: manager)
        let status = StatusRoutes(manager: manager, metrics: metrics, readiness: readiness)

        var router = Router()
        router.post("/v1/chat/completions") { try await completions.handle($0, chat: true) }
        router.post("/v1/completions") { try await completions.handle($0, chat: false) }
        router.get("/v1/models") { try await models.list($0) }
        router.get("/v1/models/{id}") { try await models.one($0) }
        router.get("/health") { try await status.health($0) }
        router.get("/metrics") { try await status.metrics($0) }

        var config = configuration ?? HTTPServerConfiguration()
        config.host = host ?? registry.server.host
        config.port = UInt16(port ?? registry.server.port)
        let keys = registry.server.apiKeys + apiKeys
        let metrics = self.metrics
        http = HTTPServer(configuration: config, router: router,
                          middleware: [BearerAuthorization(keys: keys, exemptPaths: ["/health"])],
                          onRequestCompleted: { record in metrics.recordRequest(status: record.status?.code ?? 499) })
    }

    /// Starts listening, then loads the first registered model in the background so the first request is fast.
    public func start(preload: Bool = true) throws {
        try http.start()
        guard preload, let first = registry.modelOrder.first else { readiness.set(.ready); return }
        let manager = self.manager, readiness = self.readiness
        Thread.detachNewThread {
            do {
                _ = try manager.model(first)
                readiness.set(.ready)
            } catch {
                readiness.set(.failed("\(error)"))
            }
        }
    }

    public var boundPort: Int? { http.boundPort.map(Int.init) }

    public func stop() {
        http.stop()
        manager.unloadAll()
    }
}
