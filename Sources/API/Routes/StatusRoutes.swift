// GET /health (200 once a model can serve, 503 before or when loading failed) and GET /metrics (Prometheus text).
import Foundation

struct StatusRoutes: Sendable {
    let manager: ModelManager
    let metrics: ServerMetrics
    let readiness: Readiness

    func health(_ request: HTTPRequest) async throws -> HTTPResponse {
        switch readiness.state {
        case .ready:
            return .json(data: CompletionResponse.encode(["status": "ok", "models_loaded": manager.loadedModels.count]))
        case .loading:
            return .json(data: CompletionResponse.encode(["status": "loading model"]), status: .init(503))
        case .failed(let reason):
            return .json(data: CompletionResponse.encode(["status": "unavailable", "error": reason]), status: .init(503))
        }
    }

    func metrics(_ request: HTTPRequest) async throws -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set(name: "Content-Type", value: "text/plain; version=0.0.4")
        return HTTPResponse(status: .ok, headers: headers, data: Data(metrics.render(models: manager.loadedModels).utf8))
    }
}
