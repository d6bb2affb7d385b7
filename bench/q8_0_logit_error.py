"""What logit error is normal for Q8_0 on SmolLM2: llama.cpp's Q8_0 model against the f32 goldens.

For each golden prompt (Tests/Fixtures/forward, made by transformers in f32 from the same dequantized weights) this
prints llama.cpp's largest last-position logit difference from the golden, and where its greedy continuation first
leaves the golden one (64 tokens, argmax, EOS not special, as the goldens were made). The Q8_0 GGUF is the one
`bench/vs_llama_cpp.py` makes (every matrix re-quantized to Q8_0 from the same dequantized weights).

    bench/.venv/bin/python bench/q8_0_logit_error.py
"""
import json
import os
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
from vs_llama_cpp import Q8, SOURCE, make_q8_0  # noqa: E402


def main():
    from llama_cpp import Llama
    make_q8_0(SOURCE, Q8)
    cases = json.load(open(os.path.join(ROOT, "Tests/Fixtures/forward/cases.json")))["cases"]
    llm = Llama(model_path=Q8, n_ctx=512, n_threads=2, n_threads_batch=2, n_batch=512, verbose=False)
    vocab = llm.n_vocab()

    def last_logits():
        return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(vocab,)).copy()

    for index, case in enumerate(cases):
        golden = np.fromfile(os.path.join(ROOT, "Tests/Fixtures/forward", case["logits_file"]), dtype="<f4")
        llm.reset()
        llm.eval(case["prompt_ids"])
        logits = last_logits()
        error = float(np.abs(logits - golden).max())
        generated = []
        for _ in range(len(case["greedy_ids"])):
            token = int(np.argmax(logits))
            generated.append(token)
            llm.eval([token])
            logits = last_logits()
        divergence = next((i for i, (a, b) in enumerate(zip(generated, case["greedy_ids"])) if a != b), None)
        where = f"diverges at token {divergence}" if divergence is not None else f"matches all {len(generated)} tokens"
        print(f"prompt {index}: llama.cpp Q8_0 max |logit - f32 golden| {error:.4f}; greedy {where}")


if __name__ == "__main__":
    main()
