// Keys and values of recently prefilled prompts, so a later prompt that starts with the same tokens (the chat
// template and system prompt every request repeats, or the earlier turns of a conversation) skips them.
//
// Why it is exact, bit for bit: the key and value rows of position p depend only on tokens 0...p, and a prompt row's
// numbers do not depend on the chunk it ran in (prompt rows always take the prefill attention path, which runs each
// row over its own visible positions in a fixed order; the int8 products and norms are row by row). So restored rows
// are the very bits this prompt would compute, and the rest of it gives the same numbers too. Anything less would
// break "the same seed gives the same text": a last-bit difference can change a sampled token.

/// A least-recently-used store of prompt KV rows within a position budget. Used by the batch engine's thread only.
final class PrefixCache {
    private struct Entry {
        let tokens: [Int32]
        let rows: KVCache
        var lastUse: UInt64
    }

    /// Positions all entries may hold together (each costs 2·layers·kvDim values: 23 KB for SmolLM2 in f16).
    let budgetPositions: Int
    private var entries: [Entry] = []
    private var clock: UInt64 = 0

    init(budgetPositions: Int) { self.budgetPositions = budgetPositions }

    var positionsHeld: Int { entries.reduce(0) { $0 + $1.tokens.count } }

    /// Copies the rows of the longest stored prefix of `prompt` into the empty `cache` and returns its length (0 when
    /// nothing matches). The last prompt token is never restored: it must run to give the first logits.
    func restore(prompt: [Int32], into cache: KVCache) -> Int {
        precondition(cache.count == 0, "a prefix goes into an empty cache")
        let limit = min(prompt.count - 1, cache.capacity)
        guard limit > 0 else { return 0 }
        var best = 0, bestIndex = -1
        for (i, entry) in entries.enumerated() {
            let shared = Self.sharedLength(entry.tokens, prompt, limit: min(limit, entry.tokens.count))
            if shared > best { best = shared; bestIndex = i }
        }
        guard bestIndex >= 0 else { return 0 }
        clock += 1
        entries[bestIndex].lastUse = clock
        cache.copyRows(from: entries[bestIndex].rows, count: best)
        return best
    }

    /// Stores the first `prompt.count` rows of `cache`, which has just run the whole prompt. A prompt that an entry
    /// already covers is not stored twice; entries it extends are replaced.
    func remember(prompt: [Int32], from cache: KVCache) {
        guard prompt.count <= budgetPositions, cache.count >= prompt.count, !prompt.isEmpty else { return }
        clock += 1
        if let i = entries.firstIndex(where: { $0.tokens.starts(with: prompt) }) {
            entries[i].lastUse = clock
            return
        }
        entries.removeAll { prompt.starts(with: $0.tokens) }
        while positionsHeld + prompt.count > budgetPositions, let oldest = entries.indices.min(by: { entries[$0].lastUse < entries[$1].lastUse }) {
            entries.remove(at: oldest)
        }
        let rows = KVCache(layerCount: cache.layerCount, kvHeadCount: cache.kvHeadCount, headDim: cache.headDim,
                           capacity: prompt.count, precision: cache.precision)
        rows.copyRows(from: cache, count: prompt.count)
        entries.append(Entry(tokens: prompt, rows: rows, lastUse: clock))
    }

    private static func sharedLength(_ a: [Int32], _ b: [Int32], limit: Int) -> Int {
        var n = 0
        while n < limit && a[n] == b[n] { n += 1 }
        return n
    }
}
