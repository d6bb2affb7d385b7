// Recognizes PyTorch pickle checkpoints by name or content so they can be refused before anything reads them.

/// Unpickling runs code chosen by the file's author, and the point of MergeGuard is serving untrusted fine-tunes,
/// so these are never opened; the user is told to convert them to safetensors instead.
public enum PickleCheckpoint {
    public static let extensions: Set<String> = ["bin", "pt", "pth", "pkl", "pickle", "ckpt"]
    /// The index of a sharded pickle checkpoint is JSON, but everything it points to is pickle.
    public static let indexFileName = "pytorch_model.bin.index.json"

    public static func isPickleName(_ fileName: String) -> Bool {
        if fileName == indexFileName { return true }
        guard let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex else { return false }
        return extensions.contains(fileName[fileName.index(after: dot)...].lowercased())
    }

    /// torch.save writes a zip archive by default and a bare pickle (protocol 2–5) with the legacy format.
    public static func looksLikePickle(_ prefix: UnsafeRawBufferPointer) -> Bool {
        if prefix.count >= 4, prefix[0] == 0x50, prefix[1] == 0x4B, prefix[2] == 0x03, prefix[3] == 0x04 { return true }
        if prefix.count >= 2, prefix[0] == 0x80, (2...5).contains(prefix[1]) { return true }
        return false
    }
}
