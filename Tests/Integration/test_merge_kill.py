"""`mergeguard merge` killed with SIGKILL mid-merge: neither a cache entry nor an export that looks complete is left
behind, the next run rebuilds and its export equals an uninterrupted run's, and a cache hit exports the same bytes.

The inputs are generated Llama checkpoints (88 MB each), big enough that a debug build takes seconds to merge them
with linear (so the kill lands mid-merge) and small enough that the four merges here stay short."""
import hashlib
import json
import os
import signal
import subprocess

import numpy as np
import pytest
from safetensors.numpy import save_file

from conftest import BINARY

CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 384, "intermediate_size": 1024,
          "num_hidden_layers": 12, "num_attention_heads": 6, "num_key_value_heads": 2, "vocab_size": 8192,
          "max_position_embeddings": 512, "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "tie_word_embeddings": True}


def write_checkpoint(folder, seed, base=None):
    """A base (seed only) or a fine-tune of `base`: the base plus small noise."""
    rng = np.random.default_rng(seed)
    h, f, kv = CONFIG["hidden_size"], CONFIG["intermediate_size"], 2 * 64
    shapes = {"model.embed_tokens.weight": (CONFIG["vocab_size"], h), "model.norm.weight": (h,)}
    for i in range(CONFIG["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes.update({p + "input_layernorm.weight": (h,), p + "post_attention_layernorm.weight": (h,),
                       p + "self_attn.q_proj.weight": (h, h), p + "self_attn.k_proj.weight": (kv, h),
                       p + "self_attn.v_proj.weight": (kv, h), p + "self_attn.o_proj.weight": (h, h),
                       p + "mlp.gate_proj.weight": (f, h), p + "mlp.up_proj.weight": (f, h),
                       p + "mlp.down_proj.weight": (h, f)})
    scale = 0.02 if base is None else 0.002
    tensors = {name: ((base[name] if base is not None else 0) + rng.standard_normal(shape, dtype=np.float32) * scale)
               .astype(np.float32) for name, shape in shapes.items()}
    folder.mkdir()
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(CONFIG))
    return tensors


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kill-inputs")
    base = write_checkpoint(folder / "base", 1)
    for seed, name in enumerate(["untrusted", "donor-a", "donor-b"], start=2):
        write_checkpoint(folder / name, seed, base)
    return folder


def write_registry(folder, cache, inputs):
    registry = {
        "server": {"cache_dir": str(cache)},
        "families": {"f": {"base": str(inputs / "base"),
                           "donors": [str(inputs / "donor-a"), str(inputs / "donor-b")],
                           "merge": {"method": "linear", "parameters": {}}}},
        "models": {"m": {"family": "f", "path": str(inputs / "untrusted")}},
    }
    path = folder / f"models-{cache.name}.json"
    path.write_text(json.dumps(registry))
    return str(path)


def merge(config, out, *extra):
    result = subprocess.run([BINARY, "merge", "--config", config, "--model", "m", "--out", str(out), *extra],
                            capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return result.stderr


def digest(folder):
    """SHA-256 of every file of an export, by name."""
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in sorted(os.listdir(folder))}


def complete_entries(cache):
    return [n for n in os.listdir(cache) if n.endswith(".safetensors") and not n.startswith(".")] if cache.exists() else []


def test_killed_merge_leaves_nothing_loadable_and_the_rerun_equals_an_uninterrupted_one(tmp_path, inputs):
    cache = tmp_path / "cache"
    config = write_registry(tmp_path, cache, inputs)
    out = tmp_path / "merged"

    # Kill once the progress output shows tensors done but before the last one (the run must still be merging).
    process = subprocess.Popen([BINARY, "merge", "--config", config, "--model", "m", "--out", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    killed_at = None
    for line in process.stderr:
        if "merging m: tensor" in line:
            killed_at = line.strip()
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert killed_at is not None, "no progress line before the merge ended"
    assert process.returncode == -signal.SIGKILL, f"the merge finished before it could be killed ({killed_at})"
    done, total = map(int, killed_at.split("tensor ")[1].split(" ")[0].split("/"))
    assert done < total, killed_at

    assert not out.exists(), "a killed run left the export folder in place"
    assert complete_entries(cache) == [], "a killed run left a cache entry that could be loaded"
    leftovers = [n for n in os.listdir(tmp_path) if n.startswith(".merged.partial-")]
    assert leftovers, "the killed run should have been writing under a hidden partial name"
    assert any(".tmp-" in n for n in os.listdir(cache)), "the killed run should have been writing a cache temp file"

    rebuilt = merge(config, out)
    assert "merge cache: stored" in rebuilt, rebuilt
    assert [n for n in os.listdir(tmp_path) if n.startswith(".merged.")] == [], "stale partial export not removed"
    assert [n for n in os.listdir(cache) if n.startswith(".")] == [], "stale cache temp file not removed"
    assert len(complete_entries(cache)) == 1

    reference = tmp_path / "reference"
    merge(write_registry(tmp_path, tmp_path / "other-cache", inputs), reference, "--no-cache")
    assert digest(out) == digest(reference)

    again = tmp_path / "again"
    hit = merge(config, again)
    assert "merge cache: read" in hit, hit
    assert digest(again) == digest(reference)
