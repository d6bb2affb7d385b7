// Loads models on first use and keeps them within the memory budget: concurrent first requests for one model share
// a single merge+load, a failed load is reported to every waiter (and retried after a pause), and the least
// recently used idle models are unloaded when a new one would exceed the budget.
import Foundation

public final class ModelManager: @unchecked Sendable {
    // @unchecked Sendable: `entries` and `clock` are only touched with `condition` held.
    public typealias Loader = @Sendable (ModelSpec) throws -> ServedModel

    enum Entry {
        case loading
        case loaded(ServedModel, lastUsed: UInt64)
        case failed(any Error, at: ContinuousClock.Instant)
    }

    public let registry: ModelRegistry
    public let budgetBytes: Int
    /// How long a failed load is reported as failed before the next request tries again.
    public let retryAfterFailure: Duration
    private let loader: Loader
    private let condition = NSCondition()
    private var entries: [String: Entry] = [:]
    private var useCounter: UInt64 = 0

    public init(registry: ModelRegistry, retryAfterFailure: Duration = .seconds(30), loader: @escaping Loader) {
        self.registry = registry
        budgetBytes = registry.server.memoryBudgetMB << 20
        self.retryAfterFailure = retryAfterFailure
        self.loader = loader
    }

    /// The served model for `id`, loading it (once, however many callers wait) if needed.
    public func model(_ id: String) throws(ModelManagerError) -> ServedModel {
        guard let spec = registry.models[id] else { throw .unknownModel(id) }
        condition.lock()
        while true {
            switch entries[id] {
            case .loaded(let model, _):
                useCounter += 1
                entries[id] = .loaded(model, lastUsed: useCounter)
                condition.unlock()
                return model
            case .loading:
                condition.wait()
                continue
            case .failed(let error, let at) where ContinuousClock.now - at < retryAfterFailure:
                condition.unlock()
                throw .loadFailed(id: id, reason: "\(error)")
            case .failed, nil:
                entries[id] = .loading
            }
            break
        }
        condition.unlock()

        let result = Result { try loader(spec) }
        condition.lock()
        defer { condition.unlock(); condition.broadcast() }
        switch result {
        case .success(let model):
            useCounter += 1
            entries[id] = .loaded(model, lastUsed: useCounter)
            unloadToFitBudget(keeping: id)
            return model
        case .failure(let error):
            entries[id] = .failed(error, at: .now)
            throw .loadFailed(id: id, reason: "\(error)")
        }
    }

    /// Called with the lock held: drops least recently used idle models until the rest fit the budget.
    private func unloadToFitBudget(keeping id: String) {
        func used() -> Int {
            entries.values.reduce(0) { total, entry in
                if case .loaded(let m, _) = entry { return total + m.residentBytes }
                return total
            }
        }
        while used() > budgetBytes {
            let candidates = entries.compactMap { key, entry -> (String, UInt64, ServedModel)? in
                guard key != id, case .loaded(let m, let lastUsed) = entry, m.isIdle else { return nil }
                return (key, lastUsed, m)
            }
            guard let victim = candidates.min(by: { $0.1 < $1.1 }) else { return }
            victim.2.engine.stop()
            entries[victim.0] = nil
        }
    }

    /// `model(_:)` for async callers: a load (a merge, seconds long) blocks a thread of its own, never one of the
    /// threads that serve requests.
    public func model(_ id: String) async throws(ModelManagerError) -> ServedModel {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<ServedModel, ModelManagerError>, Never>) in
            Thread.detachNewThread {
                continuation.resume(returning: Result { () throws(ModelManagerError) -> ServedModel in try self.model(id) })
            }
        }
        return try result.get()
    }

    /// Loaded model ids (for /v1/models and /metrics).
    public var loadedModels: [ServedModel] {
        condition.lock()
        defer { condition.unlock() }
        return entries.values.compactMap { if case .loaded(let m, _) = $0 { return m } else { return nil } }
    }

    public func isLoaded(_ id: String) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if case .loaded = entries[id] { return true }
        return false
    }

    /// Stops every engine (server shutdown).
    public func unloadAll() {
        condition.lock()
        defer { condition.unlock() }
        for case .loaded(let m, _) in entries.values { m.engine.stop() }
        entries.removeAll()
    }
}

public enum ModelManagerError: Error, CustomStringConvertible, Equatable {
    case unknownModel(String)
    case loadFailed(id: String, reason: String)

    public var description: String {
        switch self {
        case .unknownModel(let id): return "the model `\(id)` is not in the registry"
        case .loadFailed(let id, let reason): return "the model `\(id)` could not be loaded: \(reason)"
        }
    }
}
