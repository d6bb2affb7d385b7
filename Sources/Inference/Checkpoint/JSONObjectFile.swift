// The top-level JSON object of a config-like file (config.json, an index, adapter_config.json); each reader turns
// the failure into its own typed error naming its file.
import Foundation

public enum JSONObjectFailure: Error, Equatable {
    case notAnObject
    case invalid(reason: String)
}

/// `data` parsed as a JSON object.
public func jsonObject(_ data: Data) throws(JSONObjectFailure) -> [String: Any] {
    let value: Any
    do {
        value = try JSONSerialization.jsonObject(with: data)
    } catch {
        throw .invalid(reason: error.localizedDescription)
    }
    guard let object = value as? [String: Any] else { throw .notAnObject }
    return object
}
