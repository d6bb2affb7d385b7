// One link of the sampling chain (llama.cpp's llama_sampler): narrows or rescales the candidates in place.

protocol SamplingStage {
    func apply(to candidates: inout CandidateList, history: TokenHistory)
}
