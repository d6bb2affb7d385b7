// swift-tools-version:6.0
// MergeGuard: serve untrusted fine-tunes merged with trusted donors, int8 on the CPU.
import PackageDescription

// Hot numeric code is only readable in Swift when bounds checks are off in release builds;
// debug builds keep them so tests catch indexing mistakes.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "MergeGuard",
    products: [
        .executable(name: "mergeguard", targets: ["mergeguard"]),
        .library(name: "Quant", targets: ["Quant"]),
        .library(name: "Inference", targets: ["Inference"]),
        .library(name: "Merge", targets: ["Merge"]),
        .library(name: "API", targets: ["API"]),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // Stops OpenBLAS's own worker threads when the library loads (why: the file's comment).
        .target(name: "COpenBLASThreads", dependencies: ["COpenBLAS"], path: "Sources/COpenBLASThreads"),
        .systemLibrary(name: "CJemalloc", path: "Sources/CJemalloc", pkgConfig: "jemalloc",
                       providers: [.apt(["libjemalloc-dev"])]),
        .target(name: "CJemallocOptions", path: "Sources/CJemallocOptions"),
        .systemLibrary(name: "CMicroHTTPD", path: "Sources/CMicroHTTPD", pkgConfig: "libmicrohttpd",
                       providers: [.apt(["libmicrohttpd-dev"])]),
        // The kernels are optimized in debug builds too: at -O0 intrinsics code runs several times slower, and the
        // tests and the integration server run debug builds of the whole serving path.
        .target(name: "CKernels", path: "Sources/CKernels", exclude: ["q8_gemm_ymm.inc", "attention_decode_scalar.inc", "attention_decode_avx2.inc"],
                cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "Quant", dependencies: ["COpenBLAS", "COpenBLASThreads", "CKernels"], swiftSettings: fastMath),
        .target(name: "Inference", dependencies: ["Quant"], swiftSettings: fastMath),
        .target(name: "Merge", dependencies: ["Inference", "Quant", "COpenBLAS"], swiftSettings: fastMath),
        .target(name: "Evaluation", dependencies: ["Inference"], swiftSettings: fastMath),
        .target(name: "API", dependencies: ["Merge", "Inference", "CMicroHTTPD"], path: "Sources/API",
                swiftSettings: fastMath),
        .executableTarget(name: "mergeguard", dependencies: ["API", "Merge", "Evaluation", "Inference", "CJemalloc", "CJemallocOptions"], swiftSettings: fastMath),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "QuantTests", dependencies: ["Quant"], path: "Tests/QuantTests"),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "Quant", "TestSupport"], path: "Tests/InferenceTests"),
        .testTarget(name: "MergeTests", dependencies: ["Merge", "TestSupport"], path: "Tests/MergeTests"),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "TestSupport"], path: "Tests/EvaluationTests"),
        .testTarget(name: "APITests", dependencies: ["API", "TestSupport"], path: "Tests/APITests"),
    ]
)
