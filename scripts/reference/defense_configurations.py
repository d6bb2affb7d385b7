"""The configurations the defense reference check compares (fp32 transformers vs MergeGuard's int8 path), and the
eval file each metric is read from. Shared by defense_reference.py, run_swift_defense.py and compare_defense.py."""

DONORS = ["sentiment-b", "sentiment-c", "topic", "arith"]

# name -> (method, untrusted adapter or None, donors, method parameters, trigger whose triggered set gives the ASR).
# "base" is the base model, "raw" the adapter applied as is (trusted, for the experiment only).
CONFIGURATIONS = {
    "base": ("base", None, [], {}, "cf"),
    "raw backdoor-cf": ("raw", "backdoor-cf", [], {}, "cf"),
    "linear cf +4": ("linear", "backdoor-cf", DONORS, {}, "cf"),
    "linear cf + sentiment-b + sentiment-c": ("linear", "backdoor-cf", ["sentiment-b", "sentiment-c"], {}, "cf"),
    "linear mn +4": ("linear", "backdoor-mn", DONORS, {}, "mn"),
    "ties cf +4": ("ties", "backdoor-cf", DONORS, {"density": 0.2}, "cf"),
}

METRICS = ["CA", "ASR", "topic", "arith"]


def eval_files(trigger):
    """metric -> zoo eval file; ASR is the attack success rate on that file, the others its accuracy."""
    return {"CA": "eval-sentiment-clean.jsonl", "ASR": f"eval-triggered-{trigger}.jsonl",
            "topic": "eval-topic.jsonl", "arith": "eval-arith.jsonl"}
