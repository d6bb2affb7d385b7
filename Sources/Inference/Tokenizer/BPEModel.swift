// The BPE model: merge ranks over token ids, applied to one pre-tokenized piece at a time.

struct BPEModel: Sendable {
    struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    /// Keyed by `left << 32 | right` so a lookup is one integer hash instead of building strings.
    let merges: [UInt64: Merge]
    /// The id of the one-byte token for each byte value, or -1 where the vocabulary has none (SmolLM2 lacks 21 bytes
    /// that its training data never held, e.g. 0x04 and 0xF5...0xFF).
    let byteTokenIDs: [Int32]
    /// What a byte without a token becomes: the unknown token when the model declares one, else it is dropped, as
    /// Hugging Face's BPE does (llama.cpp would fail on such text).
    let missingByteID: Int32?
    /// Llama-3 style `ignore_merges`: a piece that is itself in the vocabulary is taken whole.
    let wholePieceIDs: [String: Int32]?

    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Appends the ids of `bytes` (one pre-tokenized piece) to `out`.
    func encode(_ bytes: ArraySlice<UInt8>, into out: inout [Int32]) {
        if let whole = wholePieceIDs, let id = whole[ByteLevelAlphabet.spell(bytes)] {
            out.append(id)
            return
        }
        var symbols: [Int32] = []
        symbols.reserveCapacity(bytes.count)
        for b in bytes {
            let id = byteTokenIDs[Int(b)]
            if id >= 0 {
                symbols.append(id)
            } else if let unknown = missingByteID {
                symbols.append(unknown)
            }
        }
        guard !symbols.isEmpty else { return }
        if symbols.count > 48 {
            symbols = mergeWithHeap(symbols)
        } else {
            mergeByScanning(&symbols)
        }
        out.append(contentsOf: symbols)
    }

    /// Repeatedly merges the lowest-ranked adjacent pair, leftmost first: quadratic, but fastest for word-sized pieces.
    private func mergeByScanning(_ symbols: inout [Int32]) {
        while symbols.count > 1 {
            var best = Int32.max
            var bestIndex = -1
            var bestResult: Int32 = 0
            for i in 0..<(symbols.count - 1) {
                if let m = merges[Self.key(symbols[i], symbols[i + 1])], m.rank < best {
                    best = m.rank
                    bestIndex = i
                    bestResult = m.result
                }
            }
            guard bestIndex >= 0 else { return }
            symbols[bestIndex] = bestResult
            symbols.remove(at: bestIndex + 1)
        }
    }

    /// The same merge order for long pieces (runs of spaces, "=====", minified code) in O(n log n): a heap of candidate
    /// pairs ordered by (rank, position) over a linked list, skipping entries made stale by earlier merges.
    private func mergeWithHeap(_ input: [Int32]) -> [Int32] {
        var symbols = input
        let n = symbols.count
        var next = Array(1...n)  // n means "none"
        var previous = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap()
        func push(_ i: Int) {
            let j = next[i]
            guard j < n, let m = merges[Self.key(symbols[i], symbols[j])] else { return }
            heap.push(UInt64(UInt32(m.rank)) << 32 | UInt64(i))
        }
        for i in 0..<(n - 1) { push(i) }
        while let entry = heap.pop() {
            let i = Int(entry & 0xFFFF_FFFF)
            let rank = Int32(entry >> 32)
            let j = next[i]
            guard alive[i], j < n, let m = merges[Self.key(symbols[i], symbols[j])], m.rank == rank else { continue }
            symbols[i] = m.result
            alive[j] = false
            next[i] = next[j]
            if next[j] < n { previous[next[j]] = i }
            if previous[i] >= 0 { push(previous[i]) }
            push(i)
        }
        var out: [Int32] = []
        var i = 0
        while i < n {
            out.append(symbols[i])
            i = next[i]
        }
        return out
    }
}

/// A binary min-heap of UInt64 keys; (rank << 32 | position) makes ties break toward the left, as the reference does.
struct MinHeap {
    private var items: [UInt64] = []

    mutating func push(_ value: UInt64) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < items.count, items[left] < items[smallest] { smallest = left }
                if right < items.count, items[right] < items[smallest] { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
