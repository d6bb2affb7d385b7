// Parses and validates the JSON header of a safetensors file with the reference implementation's rules.
import Foundation

/// One tensor of the header. `shape` is in PyTorch order; offsets are relative to the data section.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    public let begin: Int
    public let end: Int
    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { end - begin }
}

struct SafetensorsHeader {
    /// Sorted by data offset.
    let tensors: [SafetensorsTensorInfo]
    let metadata: [String: String]
    /// Bytes the tensors claim after the header.
    var dataSize: Int { tensors.last?.end ?? 0 }

    /// The reference refuses longer headers so a corrupt length cannot make it allocate gigabytes.
    static let maxLength = 100_000_000
    static let metadataKey = "__metadata__"

    init(json: UnsafeRawBufferPointer, file: String) throws(SafetensorsError) {
        guard let text = String(validating: json, as: UTF8.self) else { throw .headerNotUTF8(file: file) }
        let decoded: RawHeader
        do {
            decoded = try JSONDecoder().decode(RawHeader.self, from: Data(text.utf8))
        } catch let problem as EntryProblem {
            throw problem.error(file: file)
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw .headerNotObject(file: file)
        } catch {
            throw .invalidJSON(file: file, reason: Self.reason(error))
        }
        metadata = decoded.metadata
        var infos: [SafetensorsTensorInfo] = []
        var seen: Set<String> = []
        for entry in decoded.entries {
            guard seen.insert(entry.name).inserted else { throw .duplicateTensor(file: file, tensor: entry.name) }
            guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
                throw .unknownDType(file: file, tensor: entry.name, dtype: entry.dtype)
            }
            infos.append(SafetensorsTensorInfo(name: entry.name, dtype: dtype, shape: entry.shape,
                                               begin: entry.offsets[0], end: entry.offsets[1]))
        }
        // Writers may list tensors in any order; the data must still tile [0, end) exactly.
        infos.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expectedBegin = 0
        var previous: SafetensorsTensorInfo?
        for info in infos {
            guard info.end >= info.begin else {
                throw .invalidOffsets(file: file, tensor: info.name, begin: info.begin, end: info.end)
            }
            if info.begin > expectedBegin {
                throw .dataGap(file: file, tensor: info.name, expectedBegin: expectedBegin, begin: info.begin)
            }
            if info.begin < expectedBegin, let previous {
                throw .overlappingTensors(file: file, first: previous.name, second: info.name)
            }
            var bytes = info.dtype.byteSize
            for dimension in info.shape {
                let (product, overflow) = bytes.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw .sizeOverflow(file: file, tensor: info.name, shape: info.shape) }
                bytes = product
            }
            guard bytes == info.end - info.begin else {
                throw .sizeMismatch(file: file, tensor: info.name, dtype: info.dtype.rawValue, shape: info.shape,
                                    expectedBytes: bytes, declaredBytes: info.end - info.begin)
            }
            expectedBegin = info.end
            previous = info
        }
        tensors = infos
    }

    private static func reason(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}

/// A header entry that decoded as JSON but is not a valid tensor or metadata entry.
private struct EntryProblem: Error {
    let key: String
    let field: String?
    let reason: String

    func error(file: String) -> SafetensorsError {
        guard let field else { return .invalidMetadata(file: file, key: key, reason: reason) }
        return .invalidTensorEntry(file: file, tensor: key, field: field, reason: reason)
    }
}

private struct RawEntry {
    let name: String
    let dtype: String
    let shape: [Int]
    let offsets: [Int]
}

/// The header as JSON; entries are decoded one by one so a bad one can be named.
private struct RawHeader: Decodable {
    var entries: [RawEntry] = []
    var metadata: [String: String] = [:]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            if key.stringValue == SafetensorsHeader.metadataKey {
                metadata = try Self.metadata(container, key)
            } else {
                entries.append(try Self.entry(container, key))
            }
        }
    }

    private static func metadata(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> [String: String] {
        let object: KeyedDecodingContainer<Key>
        do { object = try container.nestedContainer(keyedBy: Key.self, forKey: key) } catch {
            throw EntryProblem(key: key.stringValue, field: nil, reason: "must be an object of strings")
        }
        var out: [String: String] = [:]
        for k in object.allKeys {
            do { out[k.stringValue] = try object.decode(String.self, forKey: k) } catch {
                throw EntryProblem(key: k.stringValue, field: nil, reason: "the value must be a string")
            }
        }
        return out
    }

    private static func entry(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> RawEntry {
        let name = key.stringValue
        let object: KeyedDecodingContainer<Key>
        do { object = try container.nestedContainer(keyedBy: Key.self, forKey: key) } catch {
            throw EntryProblem(key: name, field: "entry", reason: "must be an object with dtype, shape and data_offsets")
        }
        func field<T: Decodable>(_ field: String, _ type: T.Type, _ expected: String) throws -> T {
            let k = Key(stringValue: field)
            guard object.contains(k) else { throw EntryProblem(key: name, field: field, reason: "missing") }
            do { return try object.decode(T.self, forKey: k) } catch {
                throw EntryProblem(key: name, field: field, reason: "must be \(expected)")
            }
        }
        let dtype = try field("dtype", String.self, "a string")
        let shape = try field("shape", [Int].self, "an array of integers")
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw EntryProblem(key: name, field: "shape", reason: "dimensions must not be negative, got \(shape)")
        }
        let offsets = try field("data_offsets", [Int].self, "an array of two integers")
        guard offsets.count == 2, offsets.allSatisfy({ $0 >= 0 }) else {
            throw EntryProblem(key: name, field: "data_offsets", reason: "must be two non-negative integers [begin, end], got \(offsets)")
        }
        return RawEntry(name: name, dtype: dtype, shape: shape, offsets: offsets)
    }
}
