// Kernel choice: cpuid bits to levels, the MERGEGUARD_KERNEL parser, and the fallback note (no process env mutation).
import Testing
@testable import Quant

@Suite struct Int8KernelSelectionTests {
    let avx2Only: Set<Int8Kernel> = [.scalar, .avx2]
    let everything = Set(Int8Kernel.allCases)

    @Test func featureBitsMapToLevels() {
        #expect(Int8Kernel.supported(features: 0) == [.scalar])
        #expect(Int8Kernel.supported(features: 1) == [.scalar, .avx2])
        #expect(Int8Kernel.supported(features: 7) == everything)
        #expect(Int8Kernel.supported.contains(.scalar))
    }

    @Test func emptyOverridePicksTheBestLevel() throws {
        #expect(try Int8Kernel.select(override: nil, supported: avx2Only) == .avx2)
        #expect(try Int8Kernel.select(override: "  ", supported: everything) == .avx512vnni)
        #expect(try Int8Kernel.select(override: nil, supported: [.scalar, .avx2, .avxvnni]) == .avxvnni)
        #expect(try Int8Kernel.select(override: nil, supported: [.scalar]) == .scalar)
    }

    @Test func namedLevelsParseCaseInsensitively() throws {
        #expect(try Int8Kernel.select(override: "scalar", supported: avx2Only) == .scalar)
        #expect(try Int8Kernel.select(override: " AVX2 ", supported: avx2Only) == .avx2)
        #expect(try Int8Kernel.select(override: "AvxVnni", supported: everything) == .avxvnni)
        #expect(try Int8Kernel.select(override: "avx512vnni", supported: everything) == .avx512vnni)
    }

    @Test func missingLevelIsRefused() {
        #expect(throws: Int8Error.kernelUnsupported(kernel: "avx512vnni", supported: ["avx2", "scalar"])) {
            try Int8Kernel.select(override: "avx512vnni", supported: avx2Only)
        }
        #expect(throws: Int8Error.unknownKernel(name: "neon", known: ["scalar", "avx2", "avxvnni", "avx512vnni"])) {
            try Int8Kernel.select(override: "neon", supported: everything)
        }
    }

    @Test func resolveFallsBackWithANote() {
        let ok = Int8Kernel.resolve(environment: ["MERGEGUARD_KERNEL": "scalar"], supported: avx2Only)
        #expect(ok == Int8KernelSelection(kernel: .scalar, note: nil))
        let unset = Int8Kernel.resolve(environment: [:], supported: avx2Only)
        #expect(unset == Int8KernelSelection(kernel: .avx2, note: nil))
        let refused = Int8Kernel.resolve(environment: ["MERGEGUARD_KERNEL": "avxvnni"], supported: avx2Only)
        #expect(refused.kernel == .avx2)
        #expect(refused.note?.contains("cannot run the avxvnni") == true)
        #expect(refused.note?.contains("using avx2") == true)
    }
}
