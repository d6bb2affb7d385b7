// The mergeguard command-line tool.
import Inference
print("mergeguard \(InferenceVersion.string)")
