"""Reference values for merge-on-load: PEFT's merge_and_unload and a hand-computed linear merge on the zoo.

The base is what the zoo adapters were trained on: the default GGUF loaded by transformers (dequantized fp32,
q/k rows back in HF rotate-half order). Three cases, each a few row slices of a few tensors (little-endian f32):

  lora-backdoor-cf   PEFT merge_and_unload of zoo adapter backdoor-cf on the base
  lora-synthetic     PEFT merge_and_unload of a small synthetic adapter with rank_pattern / alpha_pattern (written
                     to Tests/Fixtures/merge-load/synthetic-adapter, random A and B, layers 0 and 1 only)
  linear-cf-plus-4   mean of (base + scale*B*A) over backdoor-cf and the four donors, computed with torch by hand

    .venv/bin/python scripts/goldens/make_merge_load_goldens.py models/SmolLM2-135M-Instruct.Q4_1.gguf \
        ../shared/zoo/adapters Tests/Fixtures/merge-load
"""
import json
import os
import sys

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

# (HF tensor name, first row, row count): row ranges cross head boundaries of q/k so a wrong row order shows.
SLICES = [
    ("model.embed_tokens.weight", 100, 2),
    ("model.layers.0.self_attn.q_proj.weight", 0, 3),
    ("model.layers.0.self_attn.q_proj.weight", 62, 4),
    ("model.layers.1.self_attn.k_proj.weight", 30, 4),
    ("model.layers.1.self_attn.v_proj.weight", 0, 2),
    ("model.layers.0.self_attn.o_proj.weight", 5, 2),
    ("model.layers.1.mlp.down_proj.weight", 0, 2),
    ("model.layers.0.mlp.gate_proj.weight", 7, 2),
    ("model.layers.29.mlp.up_proj.weight", 100, 2),
    ("model.layers.29.input_layernorm.weight", None, None),
]
DONORS = ["sentiment-b", "sentiment-c", "topic", "arith"]


def load_base(gguf_path):
    folder, name = os.path.split(os.path.abspath(gguf_path))
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model.eval()
    return model


def write_case(out_dir, case, tensors, manifest):
    raw = bytearray()
    entries = []
    for name, start, count in SLICES:
        t = tensors[name].detach().to(torch.float32)
        if t.dim() == 1:
            values = t
            start, count = 0, t.shape[0]
        else:
            values = t[start:start + count]
        entries.append({"tensor": name, "row_start": start, "rows": count,
                        "shape": list(t.shape), "offset": len(raw) // 4, "count": values.numel()})
        raw += values.contiguous().numpy().astype("<f4").tobytes()
    with open(os.path.join(out_dir, f"{case}.f32"), "wb") as f:
        f.write(raw)
    manifest["cases"][case] = entries


def synthetic_adapter(base, out_dir):
    """A small adapter PEFT itself writes: patterns override r and alpha per module (PEFT's regex key match)."""
    torch.manual_seed(1234)
    config = LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"], layers_to_transform=[0, 1],
        rank_pattern={"q_proj": 2, "layers.1.mlp.down_proj": 3}, alpha_pattern={"v_proj": 5, "down_proj": 12},
        init_lora_weights=False, lora_dropout=0.0)
    peft_model = get_peft_model(base, config)
    path = os.path.join(out_dir, "synthetic-adapter")
    peft_model.save_pretrained(path)
    return path


def delta(adapter_dir):
    """scale*B*A per target weight, by hand, from the stored (bf16) factors in f32."""
    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        cfg = json.load(f)
    assert not cfg.get("rank_pattern") and not cfg.get("alpha_pattern") and not cfg.get("use_rslora")
    scale = cfg["lora_alpha"] / cfg["r"]
    factors = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    out = {}
    for key, a in factors.items():
        if not key.endswith(".lora_A.weight"):
            continue
        module = key[len("base_model.model."):-len(".lora_A.weight")]
        b = factors[key.replace("lora_A", "lora_B")]
        out[module + ".weight"] = scale * (b.to(torch.float32) @ a.to(torch.float32))
    return out


def main(gguf_path, zoo_dir, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    manifest = {"command": " ".join(["scripts/goldens/make_merge_load_goldens.py"] + sys.argv[1:]),
                "base": os.path.basename(gguf_path), "cases": {}}

    base = load_base(gguf_path)
    base_sd = {k: v.clone() for k, v in base.state_dict().items()}

    merged = PeftModel.from_pretrained(base, os.path.join(zoo_dir, "backdoor-cf")).merge_and_unload()
    write_case(out_dir, "lora-backdoor-cf", merged.state_dict(), manifest)

    merged = synthetic_adapter(load_base(gguf_path), out_dir)
    synthetic = PeftModel.from_pretrained(load_base(gguf_path), merged).merge_and_unload()
    write_case(out_dir, "lora-synthetic", synthetic.state_dict(), manifest)

    total = {}
    for name in ["backdoor-cf"] + DONORS:
        d = delta(os.path.join(zoo_dir, name))
        for key in dict.fromkeys(name for name, _, _ in SLICES):
            theta = base_sd[key] + d[key] if key in d else base_sd[key]
            total[key] = total[key] + theta if key in total else theta.clone()
    write_case(out_dir, "linear-cf-plus-4", {k: v / 5 for k, v in total.items()}, manifest)

    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:4])
