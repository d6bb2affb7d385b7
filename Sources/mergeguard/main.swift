// The mergeguard command-line tool.
import Foundation
import Inference

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "bench" { exit(Bench.run(Array(arguments.dropFirst()))) }
print("mergeguard \(InferenceVersion.string)")
