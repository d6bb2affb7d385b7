// The global functions transformers gives templates: raise_exception, strftime_now, namespace, dict, range.
import Foundation

extension JinjaInterpreter {
    static let globalNames: Set<String> = ["raise_exception", "strftime_now", "namespace", "dict", "range"]

    func callGlobal(_ name: String, arguments a: Arguments) throws(ChatTemplateError) -> JinjaValue {
        switch name {
        case "raise_exception":
            throw ChatTemplateError.raised(message: a.value(0, "message")?.pythonString ?? "")
        case "strftime_now":
            return .string(Self.strftimeNow(a.value(0, "format")?.pythonString ?? ""))
        case "namespace", "dict":
            var d = JinjaDictionary()
            if let first = a.positional.first {
                guard case .dictionary(let initial) = first else { throw fail("\(name)() takes a mapping as its positional argument") }
                d = initial
            }
            for k in a.keyword {
                if name == "namespace", k.name.hasPrefix("_") {
                    throw fail("chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(k.name)'")
                }
                d[k.name] = k.value
            }
            return name == "dict" ? .dictionary(d) : .namespace(JinjaNamespace(d))
        case "range":
            var bounds: [Int] = []
            for v in a.positional {
                guard let i = v.integerValue else { throw fail("range() takes integers, not '\(v.typeName)'") }
                bounds.append(i)
            }
            let (start, stop, step): (Int, Int, Int)
            switch bounds.count {
            case 1: (start, stop, step) = (0, bounds[0], 1)
            case 2: (start, stop, step) = (bounds[0], bounds[1], 1)
            case 3: (start, stop, step) = (bounds[0], bounds[1], bounds[2])
            default: throw fail("range() takes one to three integers")
            }
            guard step != 0 else { throw fail("range() arg 3 must not be zero") }
            let count = step > 0 ? max(0, (stop - start + step - 1) / step) : max(0, (start - stop - step - 1) / -step)
            guard count <= limits.maxRangeLength else { throw fail("range() is limited to \(limits.maxRangeLength) items (the sandbox limit)") }
            return .array((0..<count).map { .int(start + $0 * step) })
        default:
            throw fail("'\(name)' is undefined")
        }
    }

    /// Python's `datetime.now().strftime(format)` in local time.
    static func strftimeNow(_ format: String) -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 512)
        let n = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
