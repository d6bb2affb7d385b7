// Turns sampled tokens into the text a user sees and decides when an answer ends; shared by the chat loop and the
// batch engine so both stop, hold back and flush text the same way.

struct OutputAssembler {
    private var decoder: StreamingDecoder
    private var matcher: StopStringMatcher
    private let stops: StopConditions

    init(tokenizer: BPETokenizer, parameters: SamplingParameters, endOfGenerationTokens: Set<Int32>) {
        decoder = StreamingDecoder(tokenizer: tokenizer)
        matcher = StopStringMatcher(stopStrings: parameters.stop)
        stops = StopConditions(endOfGenerationTokens: endOfGenerationTokens, parameters: parameters)
    }

    /// The visible text `token` completes (empty while half a character or a possible stop-string start is held
    /// back, and for an end-of-turn token, which is never shown), and the finish reason when the answer ends here.
    mutating func accept(_ token: Int32, generatedCount: Int) -> (text: String, finish: FinishReason?) {
        if stops.endOfGenerationTokens.contains(token) { return ("", .stop) }
        let output = matcher.feed(decoder.append(token))
        if output.stopString != nil { return (output.text, .stop) }
        return (output.text, stops.finishReason(after: token, generatedCount: generatedCount))
    }

    /// Text still held back when the answer ends some other way than a stop string: it was real output after all.
    mutating func flush() -> String {
        guard !matcher.isStopped else { return "" }
        return matcher.feed(decoder.finish()).text + matcher.finish()
    }
}
