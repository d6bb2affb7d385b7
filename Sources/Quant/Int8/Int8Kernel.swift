// Which int8 kernel runs: the levels, what this CPU supports (cpuid), and the MERGEGUARD_KERNEL override.
import CKernels
import Foundation

/// The instruction-set levels of the int8 block product. Every level computes the same sums; only speed differs
/// (and float rounding of the final per-block accumulation, within the tests' named tolerance).
public enum Int8Kernel: String, CaseIterable, Sendable, CustomStringConvertible {
    case scalar
    case avx2
    case avxvnni
    case avx512vnni

    public static let environmentVariable = "MERGEGUARD_KERNEL"

    public var description: String { rawValue }

    /// The levels this CPU (and OS) can run, read once from cpuid.
    public static let supported: Set<Int8Kernel> = supported(features: mg_cpu_features())

    static func supported(features: Int32) -> Set<Int8Kernel> {
        var set: Set<Int8Kernel> = [.scalar]
        if features & Int32(MG_CPU_AVX2) != 0 { set.insert(.avx2) }
        if features & Int32(MG_CPU_AVXVNNI) != 0 { set.insert(.avxvnni) }
        if features & Int32(MG_CPU_AVX512VNNI) != 0 { set.insert(.avx512vnni) }
        return set
    }

    public var isSupported: Bool { Self.supported.contains(self) }

    /// Fastest first: a zmm register holds two blocks; VEX vpdpbusd replaces two AVX2 instructions.
    static let preference: [Int8Kernel] = [.avx512vnni, .avxvnni, .avx2, .scalar]

    public static func best(of supported: Set<Int8Kernel>) -> Int8Kernel {
        preference.first { supported.contains($0) } ?? .scalar
    }

    /// Parses an override (case-insensitive, surrounding spaces ignored); nil or empty picks the best supported level.
    public static func select(override: String?, supported: Set<Int8Kernel>) throws(Int8Error) -> Int8Kernel {
        let name = (override ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        if name.isEmpty { return best(of: supported) }
        guard let kernel = Int8Kernel(rawValue: name) else {
            throw .unknownKernel(name: name, known: allCases.map(\.rawValue))
        }
        guard supported.contains(kernel) else {
            throw .kernelUnsupported(kernel: name, supported: preference.filter(supported.contains).map(\.rawValue))
        }
        return kernel
    }

    /// Start-up choice from an environment: a bad override falls back to the best level and says why in `note`,
    /// so a server still starts; the CLI prints the note.
    public static func resolve(environment: [String: String], supported: Set<Int8Kernel>) -> Int8KernelSelection {
        do {
            let kernel = try select(override: environment[environmentVariable], supported: supported)
            return Int8KernelSelection(kernel: kernel, note: nil)
        } catch {
            let fallback = best(of: supported)
            return Int8KernelSelection(kernel: fallback, note: "\(error); using \(fallback)")
        }
    }

    /// The process-wide choice, made once from the real environment and CPU.
    public static let startup: Int8KernelSelection = resolve(environment: ProcessInfo.processInfo.environment,
                                                              supported: supported)

    public static var active: Int8Kernel { startup.kernel }

    var function: mg_q8_gemm_fn {
        switch self {
        case .scalar: return mg_q8_gemm_scalar
        case .avx2: return mg_q8_gemm_avx2
        case .avxvnni: return mg_q8_gemm_avxvnni
        case .avx512vnni: return mg_q8_gemm_avx512vnni
        }
    }
}

public struct Int8KernelSelection: Sendable, Equatable {
    public let kernel: Int8Kernel
    /// Why the override was not honoured, when it was not.
    public let note: String?
}
