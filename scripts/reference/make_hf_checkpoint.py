"""Turn the default GGUF into a Hugging Face checkpoint folder (config.json, model.safetensors in f32,
tokenizer.json, tokenizer_config.json, generation_config.json) with the reference `gguf` package.

This is an independent path to the same weights as MergeGuard's own GGUF reader: tests load both and compare logits,
and the goldens script checks this folder against transformers' own GGUF loader.

    .venv/bin/python scripts/reference/make_hf_checkpoint.py models/SmolLM2-135M-Instruct.Q4_1.gguf models/SmolLM2-135M-Instruct-hf
"""
import json
import os
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize
from safetensors.numpy import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

HF_NAMES = {
    "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
    "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
}


def field(reader, key):
    f = reader.fields[key]
    value = f.parts[f.data[0]]
    if f.types[0].name == "STRING":
        return bytes(value).decode("utf-8")
    return value.tolist()[0]


def hf_name(name):
    if name == "token_embd.weight":
        return "model.embed_tokens.weight"
    if name == "output_norm.weight":
        return "model.norm.weight"
    if name == "output.weight":
        return "lm_head.weight"
    _, layer, part, _ = name.split(".")
    return f"model.layers.{layer}.{HF_NAMES[part]}.weight"


def unpermute(w, heads):
    # llama.cpp interleaves the two RoPE halves of each head; HF keeps them as two blocks (rotate-half).
    rows, cols = w.shape
    return w.reshape(heads, rows // heads // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)


def main(gguf_path, out_dir):
    reader = GGUFReader(gguf_path)
    arch = field(reader, "general.architecture")
    heads = field(reader, f"{arch}.attention.head_count")
    kv_heads = field(reader, f"{arch}.attention.head_count_kv")
    tensors = {}
    for t in reader.tensors:
        w = dequantize(t.data, t.tensor_type).astype(np.float32).reshape([int(d) for d in reversed(t.shape)])
        if ".attn_q." in t.name:
            w = unpermute(w, heads)
        elif ".attn_k." in t.name:
            w = unpermute(w, kv_heads)
        tensors[hf_name(t.name)] = np.ascontiguousarray(w)
    os.makedirs(out_dir, exist_ok=True)
    save_file(tensors, os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})

    tokens = reader.fields["tokenizer.ggml.tokens"]
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": arch,
        "hidden_size": field(reader, f"{arch}.embedding_length"),
        "intermediate_size": field(reader, f"{arch}.feed_forward_length"),
        "num_hidden_layers": field(reader, f"{arch}.block_count"),
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "head_dim": field(reader, f"{arch}.embedding_length") // heads,
        "vocab_size": len(tokens.data),
        "max_position_embeddings": field(reader, f"{arch}.context_length"),
        "rope_theta": float(field(reader, f"{arch}.rope.freq_base")),
        "rms_norm_eps": float(field(reader, f"{arch}.attention.layer_norm_rms_epsilon")),
        "tie_word_embeddings": "lm_head.weight" not in tensors,
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
        "bos_token_id": field(reader, "tokenizer.ggml.bos_token_id"),
        "eos_token_id": field(reader, "tokenizer.ggml.eos_token_id"),
        "torch_dtype": "float32",
    }
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": config["bos_token_id"], "eos_token_id": config["eos_token_id"]}, f, indent=2)

    from smollm2_tokenizer import build_tokenizer  # noqa: E402  (sibling script, written for the tokenizer fixtures)
    tokenizer = build_tokenizer(gguf_path)
    tokenizer.save(os.path.join(out_dir, "tokenizer.json"))
    vocab = [bytes(tokens.parts[i]).decode("utf-8") for i in tokens.data]
    tokenizer_config = {
        "tokenizer_class": "GPT2Tokenizer",
        "bos_token": vocab[config["bos_token_id"]],
        "eos_token": vocab[config["eos_token_id"]],
        "pad_token": vocab[field(reader, "tokenizer.ggml.padding_token_id")],
        "unk_token": vocab[field(reader, "tokenizer.ggml.unknown_token_id")],
        "add_bos_token": bool(field(reader, "tokenizer.ggml.add_bos_token")),
        "model_max_length": config["max_position_embeddings"],
        "chat_template": field(reader, "tokenizer.chat_template"),
        "clean_up_tokenization_spaces": False,
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config, f, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
