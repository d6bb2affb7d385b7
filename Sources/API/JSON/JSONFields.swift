// Typed reads of a decoded JSON object whose failures name the offending field by its path
// (`messages[2].content`, `families.smollm2.donors[1].path`), so a user learns exactly what to fix;
// JSONDecoder's errors name coding paths nobody wrote. Shared by request bodies and models.json.
import Foundation
import Inference

/// A field that is missing or of the wrong type; `field` is its full path, empty for the document itself.
public struct JSONFieldError: Error, CustomStringConvertible, Equatable {
    public var field: String
    public var message: String
    public var description: String { message }
}

struct JSONFields {
    let object: [String: Any]
    /// The path of this object inside the request, for nested fields (`stream_options.include_usage`).
    let path: String

    init(_ object: [String: Any], path: String = "") {
        self.object = object
        self.path = path
    }

    static func parse(_ body: Data) throws(JSONFieldError) -> JSONFields {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw JSONFieldError(field: "", message: "not valid JSON: \(reason)")
        }
        guard let object = value as? [String: Any] else { throw JSONFieldError(field: "", message: "not valid JSON: the top level must be an object") }
        return JSONFields(object)
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func isPresent(_ key: String) -> Bool {
        guard let v = object[key] else { return false }
        return !(v is NSNull)
    }

    func wrongType(_ key: String, _ expected: String) -> JSONFieldError {
        JSONFieldError(field: name(key), message: "`\(name(key))` must be \(expected)")
    }

    func invalid(_ key: String, _ message: String) -> JSONFieldError {
        JSONFieldError(field: name(key), message: message)
    }

    func string(_ key: String) throws(JSONFieldError) -> String? {
        guard isPresent(key) else { return nil }
        guard let s = object[key] as? String else { throw wrongType(key, "a string") }
        return s
    }

    func requiredString(_ key: String) throws(JSONFieldError) -> String {
        guard let s = try string(key) else { throw invalid(key, "`\(name(key))` is required") }
        return s
    }

    func bool(_ key: String) throws(JSONFieldError) -> Bool? {
        guard isPresent(key) else { return nil }
        guard let n = object[key] as? NSNumber, isJSONBoolean(n) else { throw wrongType(key, "true or false") }
        return n.boolValue
    }

    func number(_ key: String) throws(JSONFieldError) -> Double? {
        guard isPresent(key) else { return nil }
        guard let n = object[key] as? NSNumber, !isJSONBoolean(n), n.doubleValue.isFinite else {
            throw wrongType(key, "a number")
        }
        return n.doubleValue
    }

    func integer(_ key: String) throws(JSONFieldError) -> Int? {
        guard let d = try number(key) else { return nil }
        guard d == d.rounded(), abs(d) < 1e15 else { throw wrongType(key, "an integer") }
        return Int(d)
    }

    func object(_ key: String) throws(JSONFieldError) -> JSONFields? {
        guard isPresent(key) else { return nil }
        guard let o = object[key] as? [String: Any] else { throw wrongType(key, "an object") }
        return JSONFields(o, path: name(key))
    }

    func array(_ key: String) throws(JSONFieldError) -> [Any]? {
        guard isPresent(key) else { return nil }
        guard let a = object[key] as? [Any] else { throw wrongType(key, "an array") }
        return a
    }

    /// `stop`: a string or a list of strings.
    func stringOrStrings(_ key: String) throws(JSONFieldError) -> [String]? {
        guard isPresent(key) else { return nil }
        if let s = object[key] as? String { return [s] }
        guard let a = object[key] as? [Any], let strings = a as? [String] else { throw wrongType(key, "a string or an array of strings") }
        return strings
    }
}
