// How served models are built: the weight format and the merge used for untrusted models.
import API
import Inference

enum ServingFormat {
    /// Every served model runs int8 (the f32 path is the test reference).
    static let linear: LlamaWeights.LinearBuilder = LlamaWeights.int8Linear

    /// The merge of an untrusted model with its family's donors; nil until the merge engine is wired in.
    static func merger(registry: ModelRegistry) -> (@Sendable (ModelSpec, FamilySpec) throws -> ChatModel)? {
        nil
    }
}
