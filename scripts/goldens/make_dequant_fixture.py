"""Golden fixtures for MergeGuard's dequantizers, decoded by the reference `gguf` package (gguf-py 0.19).

For every type MergeGuard dequantizes (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K) this writes
Tests/Fixtures/dequant/<TYPE>.raw (the encoded bytes) and <TYPE>.f32 (gguf.quants.dequantize of them,
little-endian f32), plus manifest.json saying where each block came from:
  - "model": real blocks of the default GGUF (the types it contains: F32, Q8_0, Q4_1);
  - "quantize": gguf.quants.quantize of seeded normal data (F16, BF16, Q4_0), with edge values appended
    for the plain float types (signed zeros, infinities, f16 subnormals, the largest finite values);
  - "random": seeded random bytes with finite f16 scales, for types gguf-py cannot quantize (Q4_K, Q6_K).

    /work/main/.venv/bin/python scripts/goldens/make_dequant_fixture.py models/SmolLM2-135M-Instruct.Q4_1.gguf Tests/Fixtures/dequant
"""
import json
import os
import sys

import numpy as np
from gguf import GGUFReader, GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize, quantize

SEED = 20261206
VALUES = 2048  # per type: 64 blocks of 32 or 8 super-blocks of 256

# Real tensors of the default model and the element at which the sample starts.
MODEL_SAMPLES = {
    T.F32: ("blk.0.attn_norm.weight", 0, 576),
    T.Q8_0: ("token_embd.weight", 576 * 1000, VALUES),
    T.Q4_1: ("blk.3.ffn_down.weight", 1536 * 100, VALUES),
}


def model_sample(reader, qtype):
    name, start, count = MODEL_SAMPLES[qtype]
    tensor = next(t for t in reader.tensors if t.name == name)
    assert tensor.tensor_type == qtype, f"{name} is {tensor.tensor_type.name}, expected {qtype.name}"
    block, size = GGML_QUANT_SIZES[qtype]
    raw = np.asarray(tensor.data).view(np.uint8).reshape(-1)
    first, last = start // block * size, (start + count) // block * size
    return raw[first:last].copy(), f"model: {name}, elements {start}..<{start + count}"


EDGE_F32 = np.array([0.0, -0.0, np.inf, -np.inf, 5.960464477539063e-08, -6.103515625e-05, 65504.0, -65504.0,
                     1.0, -2.5], dtype=np.float32)


def quantized_sample(rng, qtype):
    data = rng.standard_normal(VALUES).astype(np.float32) * np.float32(0.05)
    if qtype in (T.F16, T.BF16):
        data = np.concatenate([data[:VALUES - len(EDGE_F32)], EDGE_F32])
    raw = quantize(data, qtype)
    return np.asarray(raw).view(np.uint8).reshape(-1).copy(), f"quantize: gguf.quants of seeded normal data (seed {SEED})"


def random_sample(rng, qtype):
    block, size = GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(VALUES // block, size), dtype=np.uint8)
    scales = (rng.standard_normal((VALUES // block, 2)) * 0.01).astype(np.float16).view(np.uint8)
    if qtype == T.Q4_K:
        blocks[:, 0:4] = scales  # d, dmin
    elif qtype == T.Q6_K:
        blocks[:, 208:210] = scales[:, 0:2]  # d
    else:
        raise ValueError(qtype)
    return blocks.reshape(-1), f"random: seeded random bytes (seed {SEED}) with finite f16 scales"


def main(model_path, out_dir):
    reader = GGUFReader(model_path)
    rng = np.random.default_rng(SEED)
    os.makedirs(out_dir, exist_ok=True)
    manifest = {"command": "/work/main/.venv/bin/python scripts/goldens/make_dequant_fixture.py "
                           "models/SmolLM2-135M-Instruct.Q4_1.gguf Tests/Fixtures/dequant",
                "reference": "gguf.quants.dequantize (gguf-py 0.19)", "types": []}
    for qtype in (T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q4_K, T.Q6_K):
        if qtype in MODEL_SAMPLES:
            raw, source = model_sample(reader, qtype)
        elif qtype in (T.Q4_K, T.Q6_K):
            raw, source = random_sample(rng, qtype)
        else:
            raw, source = quantized_sample(rng, qtype)
        expected = np.asarray(dequantize(raw, qtype), dtype=np.float32).reshape(-1)
        block, size = GGML_QUANT_SIZES[qtype]
        assert raw.size == expected.size // block * size
        raw.tofile(os.path.join(out_dir, f"{qtype.name}.raw"))
        expected.astype("<f4").tofile(os.path.join(out_dir, f"{qtype.name}.f32"))
        manifest["types"].append({"type": qtype.name, "ggmlType": int(qtype), "count": int(expected.size),
                                  "bytes": int(raw.size), "source": source})
        print(f"{qtype.name}: {expected.size} values, {raw.size} bytes ({source})")
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
