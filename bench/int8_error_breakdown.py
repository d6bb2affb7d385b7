"""Where the int8 path's logit error comes from, one component at a time, simulated on the HF twin in PyTorch.

Each experiment quantizes some of SmolLM2's linear layers the way a candidate int8 format would (weights, the
activations entering the layer, or both; the output head is `lm_head`, tied to the Q8_0 token embedding) and
compares the logits with the f32 model over every position of the 5 golden prompts plus 32 tokens of their golden
continuation (Tests/Fixtures/forward). Printed: the largest logit difference, the mean RMS difference, and how often
the argmax agrees.

- q8: symmetric per-32 blocks, scale = max|x| / 127 (Q8_0, and MergeGuard's first int8 format)
- exact: the weights as dequantized (what grid-exact affine blocks store for Q4_1/Q8_0 sources)
- affine: 255 levels from a block's minimum to its maximum (what affine blocks store for off-grid weights)
- int16: symmetric per-32 blocks with scale = max|x| / 32767
- int16 per row: symmetric, one scale per activation row = max|x| / 32767

    .venv/bin/python bench/int8_error_breakdown.py                # every experiment
    .venv/bin/python bench/int8_error_breakdown.py "down A only"  # some
"""
import json
import os
import sys

import numpy as np
import torch
from transformers import AutoModelForCausalLM

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def symmetric(x, levels=127):
    shape, blocks = x.shape, x.reshape(-1, 32)
    scale = blocks.abs().amax(1, keepdim=True) / levels
    inverse = torch.where(scale > 0, 1 / scale, torch.zeros_like(scale))
    return (torch.round(blocks * inverse).clamp(-levels, levels) * scale).reshape(shape)


def affine(x, levels=254):
    shape, blocks = x.shape, x.reshape(-1, 32)
    lo, hi = blocks.amin(1, keepdim=True), blocks.amax(1, keepdim=True)
    step = (hi - lo) / levels
    inverse = torch.where(step > 0, 1 / step, torch.zeros_like(step))
    return (torch.round((blocks - lo) * inverse) * step + lo).reshape(shape)


def int16(x):
    return symmetric(x, 32767)


def int16_row(x):
    """Symmetric int16 with one scale per row (max|x| of the whole row / 32767): the kernels then multiply by the
    activation scale once per output instead of once per (weight block, row) pair."""
    scale = x.abs().amax(-1, keepdim=True) / 32767
    inverse = torch.where(scale > 0, 1 / scale, torch.zeros_like(scale))
    return torch.round(x * inverse).clamp(-32767, 32767) * scale


def exact(x):
    return x


def everything(name):
    return True


EXPERIMENTS = {
    # name: (weight format, activation format, which layers)
    "all W+A q8 (first format)": (symmetric, symmetric, everything),
    "weights only q8": (symmetric, None, everything),
    "activations only q8": (None, symmetric, everything),
    "head only W+A q8": (symmetric, symmetric, lambda n: n == "lm_head"),
    "layers W+A q8, head f32": (symmetric, symmetric, lambda n: n != "lm_head"),
    "down A only q8": (None, symmetric, lambda n: "down_proj" in n),
    "all A but down q8": (None, symmetric, lambda n: n != "lm_head" and "down_proj" not in n),
    "affine W + A q8": (affine, symmetric, everything),
    "exact W + A q8": (exact, symmetric, everything),
    "q8 W + A int16": (symmetric, int16, everything),
    "affine W + A int16": (affine, int16, everything),
    "exact W + A int16 (format now)": (exact, int16, everything),
    "exact W + A int16 per row": (exact, int16_row, everything),
    "affine W + A int16 per row": (affine, int16_row, everything),
    "exact W + A int16 per row, down per block": (exact, lambda x: int16(x) if x.shape[-1] == 1536 else int16_row(x), everything),
}


def main(names):
    torch.set_num_threads(2)
    model = AutoModelForCausalLM.from_pretrained(os.path.join(ROOT, "models/SmolLM2-135M-Instruct-hf"),
                                                 dtype=torch.float32).eval()
    cases = json.load(open(os.path.join(ROOT, "Tests/Fixtures/forward/cases.json")))["cases"]
    linears = {n: m for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    original = {n: m.weight.data.clone() for n, m in linears.items()}
    hooks = []

    def configure(weights, activations, which):
        for h in hooks:
            h.remove()
        hooks.clear()
        for n, m in linears.items():
            chosen = which(n)
            m.weight.data = (weights(original[n]) if chosen and weights else original[n]).clone()
            if chosen and activations:
                hooks.append(m.register_forward_pre_hook(lambda mod, inp, f=activations: (f(inp[0]),)))

    def run():
        with torch.no_grad():
            return [model(torch.tensor([c["prompt_ids"] + c["greedy_ids"][:32]])).logits[0] for c in cases]

    configure(None, None, everything)
    reference = run()
    for name in names or EXPERIMENTS:
        configure(*EXPERIMENTS[name])
        got = run()
        worst = max(float((g - r).abs().max()) for g, r in zip(got, reference))
        rms = np.mean([float((g - r).pow(2).mean().sqrt()) for g, r in zip(got, reference)])
        agree = np.mean([float((g.argmax(-1) == r.argmax(-1)).float().mean()) for g, r in zip(got, reference)])
        print(f"{name:34s} max |dlogit| {worst:.3f}  rms {rms:.4f}  argmax agrees {agree:.4f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
