"""Golden fixtures for the Merge methods: tiny Llama checkpoints merged by mergekit.

Makes a base model and three fine-tunes (base + small random deltas of different sparsity) with
transformers (hidden 32, 2 layers, intermediate 64, vocab 64, tied embeddings), saves them as
safetensors HF folders in a temporary directory, runs mergekit's merge for every case in CASES on
the CPU, and writes the inputs and outputs to Tests/Fixtures/merge/:

  manifest.json       tensor names, shapes and offsets (in floats) shared by every .bin file;
                      the models; and per case the method, the mergekit config and the output file
  inputs/<model>.bin  every tensor of one input model, little-endian f32, in manifest order
  outputs/<case>.bin  mergekit's merged tensors, same layout

mergekit is not in the shared venv (its pins could break it), so this runs in its own venv:

  python3 -m venv /work/venv-mergekit && /work/venv-mergekit/bin/pip install mergekit
  /work/venv-mergekit/bin/python scripts/goldens/make_merge_fixture.py

The cases stay few to keep the fixture near 2 MB; linear without normalization and dare_ties at
density < 1 are covered by in-memory Swift tests instead. Random methods (dare_*, della*) at density < 1 cannot be matched bit for bit (torch's RNG); the
Swift tests check them statistically and use the outputs here to confirm mergekit's rescaling rule.
"""

import json
import os
import sys
import tempfile

import numpy as np
import torch
import yaml
from transformers import LlamaConfig, LlamaForCausalLM

from mergekit.config import MergeConfiguration
from mergekit.merge import run_merge
from mergekit.options import MergeOptions

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(REPO, "Tests", "Fixtures", "merge")

# Fraction of entries each fine-tune changes and the size of its changes: different sparsity on
# purpose, so TIES' top-k and the sign election have something to decide.
FINE_TUNES = {"ft_a": (1.0, 0.02), "ft_b": (0.5, 0.03), "ft_c": (0.2, 0.05)}

# Each case: a mergekit config (models as names; the script turns them into paths).
CASES = {
    "linear_equal": {"merge_method": "linear",
                     "models": [{"model": m, "parameters": {"weight": 1.0}} for m in ("base", "ft_a", "ft_b", "ft_c")]},
    "linear_weights": {"merge_method": "linear",
                       "models": [{"model": "ft_a", "parameters": {"weight": 0.5}},
                                  {"model": "ft_b", "parameters": {"weight": 0.3}},
                                  {"model": "ft_c", "parameters": {"weight": 0.2}}]},
    "task_arithmetic": {"merge_method": "task_arithmetic", "base_model": "base",
                        "models": [{"model": "ft_a", "parameters": {"weight": 1.0}},
                                   {"model": "ft_b", "parameters": {"weight": 0.5}},
                                   {"model": "ft_c", "parameters": {"weight": 0.8}}]},
    "task_arithmetic_lambda_normalize": {"merge_method": "task_arithmetic", "base_model": "base",
                                         "parameters": {"lambda": 0.7, "normalize": True},
                                         "models": [{"model": "ft_a", "parameters": {"weight": 1.0}},
                                                    {"model": "ft_b", "parameters": {"weight": 0.5}}]},
    "task_arithmetic_gradient": {"merge_method": "task_arithmetic", "base_model": "base",
                                 "models": [{"model": "ft_a", "parameters": {"weight": [0.2, 1.0]}},
                                            {"model": "ft_b", "parameters": {"weight": [1.0, 0.5, 0.1]}}]},
    "ties_d05": {"merge_method": "ties", "base_model": "base", "parameters": {"density": 0.5},
                 "models": [{"model": "ft_a", "parameters": {"weight": 1.0}},
                            {"model": "ft_b", "parameters": {"weight": 0.6}},
                            {"model": "ft_c", "parameters": {"weight": 0.3, "density": 0.3}}]},
    "ties_d1_lambda": {"merge_method": "ties", "base_model": "base",
                       "parameters": {"density": 1.0, "lambda": 1.5, "int8_mask": True},
                       "models": [{"model": m, "parameters": {"weight": 1.0}} for m in ("ft_a", "ft_b", "ft_c")]},
    "ties_unnormalized_gradient": {"merge_method": "ties", "base_model": "base",
                                   "parameters": {"normalize": False, "density": [0.2, 0.8]},
                                   "models": [{"model": "ft_a", "parameters": {"weight": 0.5}},
                                              {"model": "ft_b", "parameters": {"weight": 0.5}},
                                              {"model": "ft_c", "parameters": {"weight": 0.5}}]},
    "ties_rescale": {"merge_method": "ties", "base_model": "base", "parameters": {"density": 0.4, "rescale": True},
                     "models": [{"model": "ft_a", "parameters": {"weight": 1.0}},
                                {"model": "ft_b", "parameters": {"weight": 1.0}}]},
    "dare_linear_d1": {"merge_method": "dare_linear", "base_model": "base", "parameters": {"density": 1.0},
                       "models": [{"model": "ft_a", "parameters": {"weight": 0.6}},
                                  {"model": "ft_b", "parameters": {"weight": 0.4}}]},
    "dare_ties_d1": {"merge_method": "dare_ties", "base_model": "base", "parameters": {"density": 1.0},
                     "models": [{"model": m, "parameters": {"weight": 0.5}} for m in ("ft_a", "ft_b", "ft_c")]},
    "dare_linear_d05": {"merge_method": "dare_linear", "base_model": "base", "parameters": {"density": 0.5},
                        "models": [{"model": "ft_a", "parameters": {"weight": 1.0}}]},
    "breadcrumbs": {"merge_method": "breadcrumbs", "base_model": "base",
                    "parameters": {"density": 0.6, "gamma": 0.05},
                    "models": [{"model": "ft_a", "parameters": {"weight": 1.0}},
                               {"model": "ft_b", "parameters": {"weight": 0.7, "gamma": 0.1}}]},
    "breadcrumbs_ties": {"merge_method": "breadcrumbs_ties", "base_model": "base",
                         "parameters": {"density": 0.5},
                         "models": [{"model": m, "parameters": {"weight": 1.0}} for m in ("ft_a", "ft_b", "ft_c")]},
    "della_d1": {"merge_method": "della", "base_model": "base", "parameters": {"density": 1.0, "lambda": 1.2},
                 "models": [{"model": m, "parameters": {"weight": 1.0}} for m in ("ft_a", "ft_b", "ft_c")]},
    "della_linear_d05": {"merge_method": "della_linear", "base_model": "base",
                         "parameters": {"density": 0.5, "epsilon": 0.2},
                         "models": [{"model": "ft_a", "parameters": {"weight": 1.0}}]},
    "model_stock": {"merge_method": "model_stock", "base_model": "base",
                    "models": [{"model": m} for m in ("ft_a", "ft_b", "ft_c")]},
    "model_stock_filter_wise": {"merge_method": "model_stock", "base_model": "base",
                                "parameters": {"filter_wise": True},
                                "models": [{"model": m} for m in ("ft_a", "ft_b")]},
    "slerp": {"merge_method": "slerp", "base_model": "base", "parameters": {"t": 0.3},
              "models": [{"model": "base"}, {"model": "ft_a"}]},
    "slerp_gradient": {"merge_method": "slerp", "base_model": "ft_b", "parameters": {"t": [0.0, 0.5, 1.0]},
                       "models": [{"model": "ft_b"}, {"model": "ft_c"}]},
}


def make_models(root):
    torch.manual_seed(1234)
    config = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=64, max_position_embeddings=64,
                         tie_word_embeddings=True, torch_dtype="float32")
    base = LlamaForCausalLM(config).float()
    with torch.no_grad():
        for p in base.parameters():
            p.copy_(torch.randn_like(p) * 0.1 + (1.0 if p.dim() == 1 else 0.0))
    state = {k: v.detach().clone().contiguous() for k, v in base.state_dict().items()}
    paths = {"base": os.path.join(root, "base")}
    base.save_pretrained(paths["base"], safe_serialization=True)
    for index, (name, (fraction, scale)) in enumerate(FINE_TUNES.items()):
        generator = torch.Generator().manual_seed(100 + index)
        model = LlamaForCausalLM(config).float()
        tuned = {}
        for key, value in state.items():
            keep = (torch.rand(value.shape, generator=generator) < fraction).float()
            tuned[key] = value + keep * torch.randn(value.shape, generator=generator) * scale
        model.load_state_dict(tuned, strict=False)
        paths[name] = os.path.join(root, name)
        model.save_pretrained(paths[name], safe_serialization=True)
    return paths, state


def load_folder(path):
    from safetensors.torch import load_file
    tensors = {}
    for file in sorted(os.listdir(path)):
        if file.endswith(".safetensors"):
            tensors.update(load_file(os.path.join(path, file)))
    return tensors


def write_bin(path, names, tensors):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        for name in names:
            f.write(tensors[name].to(torch.float32).contiguous().numpy().astype("<f4").tobytes())


def main():
    with tempfile.TemporaryDirectory() as root:
        paths, state = make_models(root)
        names = sorted(state.keys())
        inputs = {m: load_folder(p) for m, p in paths.items()}
        names = [n for n in names if n in inputs["base"]]
        offset, layout = 0, []
        for n in names:
            shape = list(inputs["base"][n].shape)
            layout.append({"name": n, "shape": shape, "offset": offset})
            offset += int(np.prod(shape))
        for m, tensors in inputs.items():
            write_bin(os.path.join(OUT, "inputs", f"{m}.bin"), names, tensors)

        cases = {}
        for case, config in CASES.items():
            resolved = json.loads(json.dumps(config))
            if "base_model" in resolved:
                resolved["base_model"] = paths[resolved["base_model"]]
            for entry in resolved["models"]:
                entry["model"] = paths[entry["model"]]
            resolved["dtype"] = "float32"
            out_dir = os.path.join(root, "out-" + case)
            run_merge(MergeConfiguration.model_validate(resolved), out_dir,
                      options=MergeOptions(copy_tokenizer=False, random_seed=0, write_model_card=False,
                                           device="cpu", lazy_unpickle=False))
            merged = load_folder(out_dir)
            missing = [n for n in names if n not in merged]
            if missing:
                sys.exit(f"{case}: mergekit wrote no {missing}")
            write_bin(os.path.join(OUT, "outputs", f"{case}.bin"), names, merged)
            cases[case] = {"config": config, "output": f"outputs/{case}.bin"}
            print(case, "ok")

        manifest = {
            "generator": "scripts/goldens/make_merge_fixture.py",
            "mergekit": __import__("importlib.metadata").metadata.version("mergekit"),
            "torch": torch.__version__,
            "layer_count": 2,
            "tensors": layout,
            "models": {m: f"inputs/{m}.bin" for m in inputs},
            "cases": cases,
        }
        with open(os.path.join(OUT, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
