public enum InferenceVersion { public static let string = "0.1.0" }
