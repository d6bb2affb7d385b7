// Rotary position embedding in Hugging Face's rotate-half form: dimension i pairs with i + d/2 in each head.
import Foundation

public struct Rope: Sendable {
    public let headDim: Int
    /// Angle per position of each pair, after any long-context scaling.
    public let inverseFrequencies: [Double]

    public init(config: ModelConfig) {
        headDim = config.headDim
        let half = config.headDim / 2
        var freqs = (0..<half).map { i in 1.0 / pow(config.ropeTheta, Double(2 * i) / Double(config.headDim)) }
        switch config.ropeScaling {
        case .none: break
        case .linear(let factor):
            freqs = freqs.map { $0 / factor }
        case .llama3(let factor, let low, let high, let original):
            // Long wavelengths are slowed by `factor`, short ones kept, the band between interpolated (Llama 3.1).
            let lowWavelength = Double(original) / low
            let highWavelength = Double(original) / high
            freqs = freqs.map { f in
                let wavelength = 2 * Double.pi / f
                if wavelength < highWavelength { return f }
                if wavelength > lowWavelength { return f / factor }
                let smooth = (Double(original) / wavelength - low) / (high - low)
                return (1 - smooth) * f / factor + smooth * f
            }
        }
        inverseFrequencies = freqs
    }

    /// Fills cos/sin tables (rows, headDim/2) for the given absolute positions.
    func tables(positions: Range<Int>, cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
        let half = headDim / 2
        for (row, p) in positions.enumerated() {
            for i in 0..<half {
                let angle = Double(p) * inverseFrequencies[i]
                cos[row * half + i] = Float(Foundation.cos(angle))
                sin[row * half + i] = Float(Foundation.sin(angle))
            }
        }
    }

    /// Rotates every head of `rows` vectors of `heads · headDim` values in place.
    func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int,
               cos: UnsafePointer<Float>, sin: UnsafePointer<Float>) {
        let half = headDim / 2
        for r in 0..<rows {
            let c = cos + r * half, s = sin + r * half
            for h in 0..<heads {
                let v = x + (r * heads + h) * headDim
                for i in 0..<half {
                    let a = v[i], b = v[i + half]
                    v[i] = a * c[i] - b * s[i]
                    v[i + half] = b * c[i] + a * s[i]
                }
            }
        }
    }
}
