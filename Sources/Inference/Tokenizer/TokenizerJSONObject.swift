// Typed access to a JSON object from tokenizer.json that throws `TokenizerError` naming the field's full path.
import Foundation

struct TokenizerJSONObject {
    let dictionary: [String: Any]
    let file: String
    /// Where this object sits in the document, e.g. "pre_tokenizer.pretokenizers[1]"; empty for the root.
    let path: String

    static func parse(_ data: Data, file: String) throws(TokenizerError) -> TokenizerJSONObject {
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: data) } catch {
            throw .malformedJSON(file: file, reason: error.localizedDescription)
        }
        guard let dictionary = value as? [String: Any] else { throw .malformedJSON(file: file, reason: "the top level is not an object") }
        return TokenizerJSONObject(dictionary: dictionary, file: file, path: "")
    }

    private func fieldPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// JSONSerialization on Linux hands back 0 and 1 as NSNumbers that `is Bool` accepts; a real JSON boolean is
    /// the one whose Objective-C type is "c".
    static func isBoolean(_ value: Any) -> Bool {
        guard let n = value as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    static func integer(_ value: Any) -> Int? {
        guard let n = value as? NSNumber, !isBoolean(value) else { return nil }
        return Int(exactly: n.doubleValue)
    }

    private func present(_ key: String) -> Any? {
        guard let v = dictionary[key], !(v is NSNull) else { return nil }
        return v
    }

    func object(_ key: String) throws(TokenizerError) -> TokenizerJSONObject {
        guard let o = try optionalObject(key) else { throw .missingField(file: file, field: fieldPath(key)) }
        return o
    }

    func optionalObject(_ key: String) throws(TokenizerError) -> TokenizerJSONObject? {
        guard let v = present(key) else { return nil }
        guard let d = v as? [String: Any] else { throw .wrongFieldType(file: file, field: fieldPath(key), expected: "an object") }
        return TokenizerJSONObject(dictionary: d, file: file, path: fieldPath(key))
    }

    func array(_ key: String) throws(TokenizerError) -> [Any] {
        guard let a = try optionalArray(key) else { throw .missingField(file: file, field: fieldPath(key)) }
        return a
    }

    func optionalArray(_ key: String) throws(TokenizerError) -> [Any]? {
        guard let v = present(key) else { return nil }
        guard let a = v as? [Any] else { throw .wrongFieldType(file: file, field: fieldPath(key), expected: "an array") }
        return a
    }

    func element(of list: [Any], at i: Int, field key: String) throws(TokenizerError) -> TokenizerJSONObject {
        let p = fieldPath(key) + "[\(i)]"
        guard let d = list[i] as? [String: Any] else { throw .wrongFieldType(file: file, field: p, expected: "an object") }
        return TokenizerJSONObject(dictionary: d, file: file, path: p)
    }

    func string(_ key: String) throws(TokenizerError) -> String {
        guard let s = try optionalString(key) else { throw .missingField(file: file, field: fieldPath(key)) }
        return s
    }

    func optionalString(_ key: String) throws(TokenizerError) -> String? {
        guard let v = present(key) else { return nil }
        guard let s = v as? String else { throw .wrongFieldType(file: file, field: fieldPath(key), expected: "a string") }
        return s
    }

    func int(_ key: String) throws(TokenizerError) -> Int {
        guard let v = present(key) else { throw .missingField(file: file, field: fieldPath(key)) }
        guard let i = Self.integer(v) else {
            throw .wrongFieldType(file: file, field: fieldPath(key), expected: "an integer")
        }
        return i
    }

    func optionalBool(_ key: String) throws(TokenizerError) -> Bool? {
        guard let v = present(key) else { return nil }
        guard Self.isBoolean(v), let b = v as? Bool else { throw .wrongFieldType(file: file, field: fieldPath(key), expected: "true or false") }
        return b
    }
}
