// Partial selection of the best candidates with a bounded heap: O(n log k) and no allocation, so top-k and the
// top-p nucleus never sort the whole vocabulary.

enum CandidateSelection {
    /// Reorders `buffer` so its first min(k, count) elements are its best, sorted best first.
    static func moveBestToFront(_ buffer: UnsafeMutableBufferPointer<Candidate>, count k: Int) {
        let k = min(k, buffer.count)
        guard k > 0 else { return }
        // A heap whose root is the worst of the k kept so far: a newcomer only has to beat the root.
        for root in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(buffer, root, k) }
        for i in k..<buffer.count where buffer[i].ranksAbove(buffer[0]) {
            buffer.swapAt(i, 0)
            siftDown(buffer, 0, k)
        }
        sortHeap(buffer, k)
    }

    /// Keeps the best `k` of `values` (id = index) in `heap`, sorted best first; returns how many were kept.
    static func best(of values: UnsafeBufferPointer<Float>, count k: Int,
                     into heap: UnsafeMutableBufferPointer<Candidate>) -> Int {
        let k = min(k, values.count, heap.count)
        guard k > 0 else { return 0 }
        for i in 0..<k { heap[i] = Candidate(id: Int32(i), logit: values[i].isNaN ? -.infinity : values[i], probability: 0) }
        for root in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(heap, root, k) }
        for i in k..<values.count {
            let c = Candidate(id: Int32(i), logit: values[i], probability: 0)
            if c.ranksAbove(heap[0]) {
                heap[0] = c
                siftDown(heap, 0, k)
            }
        }
        sortHeap(heap, k)
        return k
    }

    /// Turns a worst-at-root heap of `k` elements into a best-first array (heapsort: the worst goes last each round).
    private static func sortHeap(_ heap: UnsafeMutableBufferPointer<Candidate>, _ k: Int) {
        var end = k - 1
        while end > 0 {
            heap.swapAt(0, end)
            siftDown(heap, 0, end)
            end -= 1
        }
    }

    /// Restores the worst-at-root property below `root` within the first `count` elements.
    private static func siftDown(_ heap: UnsafeMutableBufferPointer<Candidate>, _ root: Int, _ count: Int) {
        var parent = root
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var worst = left
            let right = left + 1
            if right < count && heap[worst].ranksAbove(heap[right]) { worst = right }
            guard heap[parent].ranksAbove(heap[worst]) else { return }
            heap.swapAt(parent, worst)
            parent = worst
        }
    }
}
