"""Reference perplexity of SmolLM2-135M-Instruct (fp32, transformers) over the committed public-domain text.

The same windows as `Perplexity.evaluate` in Sources/Inference/Generation/Perplexity.swift: the token ids split into
consecutive windows of WINDOW tokens (the last may be shorter), each run from an empty cache, every token but a
window's first scored from the tokens before it in that window (transformers' strided recipe with stride = window).
Tokenized by the HF twin's tokenizer.json with no BOS, as `BPETokenizer.encode(text, addBOS: false)` does.

    .venv/bin/python scripts/goldens/make_perplexity_golden.py models/SmolLM2-135M-Instruct-hf \
        Tests/Fixtures/perplexity/alice-chapters-1-2.txt Tests/Fixtures/perplexity/transformers.json
"""
import json
import math
import sys

import torch
import transformers
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

WINDOW = 512


def main(model_folder, text_path, out_path):
    text = open(text_path, encoding="utf-8").read()
    ids = Tokenizer.from_file(f"{model_folder}/tokenizer.json").encode(text, add_special_tokens=False).ids
    model = AutoModelForCausalLM.from_pretrained(model_folder, dtype=torch.float32)
    model.eval()
    total, scored, windows = 0.0, 0, 0
    for start in range(0, len(ids) - 1, WINDOW):
        window = ids[start:start + WINDOW]
        if len(window) < 2:
            break
        windows += 1
        with torch.no_grad():
            logits = model(torch.tensor([window])).logits[0].double()
        nll = torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(window[1:]), reduction="sum")
        total += float(nll)
        scored += len(window) - 1
    mean = total / scored
    result = {
        "model": model_folder.rstrip("/").split("/")[-1],
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "text": text_path.split("/")[-1],
        "window": WINDOW,
        "windows": windows,
        "scored_tokens": scored,
        "mean_negative_log_likelihood": mean,
        "perplexity": math.exp(mean),
        "token_ids": ids,
    }
    with open(out_path, "w") as f:
        json.dump(result, f)
        f.write("\n")
    print(f"{len(ids)} tokens, {windows} windows of {WINDOW}, {scored} scored: perplexity {math.exp(mean):.4f}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
