"""Write a small safetensors file with the reference library (one tensor per dtype MergeGuard reads), so tests check
our reader against the reference writer's bytes and our writer's layout against the reference's, byte for byte.

    .venv/bin/python scripts/reference/make_safetensors_fixture.py Tests/Fixtures/safetensors/reference-dtypes.safetensors
"""
import sys

import torch
from safetensors.torch import save_file

# Values every dtype holds exactly, so a reader must give them back bit for bit.
TENSORS = {
    "f64": torch.tensor([[0.1, -2.5], [1e-30, 3.0]], dtype=torch.float64),
    "f32": torch.tensor([0.1, -2.5, 1e-30], dtype=torch.float32),
    "f16": torch.tensor([0.5, -2.25, 65504.0, 2.0 ** -24], dtype=torch.float16),
    "bf16": torch.tensor([[1.0, -2.5], [0.0078125, 256.0]], dtype=torch.bfloat16),
    "f8_e4m3": torch.tensor([1.0, -2.0, 448.0], dtype=torch.float8_e4m3fn),
    "f8_e5m2": torch.tensor([0.75, -57344.0], dtype=torch.float8_e5m2),
    "i64": torch.tensor([-100, 16777216], dtype=torch.int64),
    "i32": torch.tensor([[-7], [2147483520]], dtype=torch.int32),
    "i16": torch.tensor([32767, -32768, 3], dtype=torch.int16),
    "i8": torch.tensor([127, -128, 0], dtype=torch.int8),
    "u8": torch.tensor([255, 0, 1, 2, 3], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True], dtype=torch.bool),
    "scalar": torch.tensor(42.0, dtype=torch.float32),
}

if __name__ == "__main__":
    save_file(TENSORS, sys.argv[1], metadata={"format": "pt"})
