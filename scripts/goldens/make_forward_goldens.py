"""Reference logits and greedy continuations of SmolLM2-135M-Instruct from `transformers` (fp32).

transformers loads the default GGUF itself (dequantizing every tensor and undoing llama.cpp's q/k row permutation),
renders each fixture conversation with the model's own chat template, and records for each prompt: the token ids,
the last-position logits (little-endian f32, one file per prompt) and a 64-token greedy continuation (argmax at every
step, EOS not treated specially, so both engines are compared over the same 64 positions).

    .venv/bin/python scripts/goldens/make_forward_goldens.py models/SmolLM2-135M-Instruct.Q4_1.gguf Tests/Fixtures/forward
"""
import json
import os
import sys

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "user", "content": "Write a haiku about the sea."}],
    [{"role": "system", "content": "You are a concise assistant. Answer in one sentence."},
     {"role": "user", "content": "Explain photosynthesis."}],
    [{"role": "user", "content": "List three prime numbers."},
     {"role": "assistant", "content": "2, 3 and 5."},
     {"role": "user", "content": "Now three more, larger than 10."}],
    [{"role": "user", "content": "Translate to French: \"The weather is nice today.\""}],
]
GREEDY_TOKENS = 64


def main(gguf_path, out_dir):
    folder, name = os.path.split(os.path.abspath(gguf_path))
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model.eval()
    os.makedirs(out_dir, exist_ok=True)
    cases = []
    for index, messages in enumerate(CONVERSATIONS):
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            out = model(torch.tensor([ids]), use_cache=True)
            logits = out.logits[0, -1].float().numpy()
            logits_file = f"logits-{index}.f32"
            logits.astype("<f4").tofile(os.path.join(out_dir, logits_file))
            past = out.past_key_values
            generated = []
            next_id = int(np.argmax(logits))
            for _ in range(GREEDY_TOKENS):
                generated.append(next_id)
                out = model(torch.tensor([[next_id]]), past_key_values=past, use_cache=True)
                past = out.past_key_values
                next_id = int(torch.argmax(out.logits[0, -1]))
        cases.append({
            "messages": messages,
            "prompt": text,
            "prompt_ids": ids,
            "logits_file": logits_file,
            "argmax": int(np.argmax(logits)),
            "greedy_ids": generated,
            "greedy_text": tokenizer.decode(generated),
        })
        print(index, repr(tokenizer.decode(generated)[:80]), file=sys.stderr)
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump({"model": os.path.basename(gguf_path), "transformers": __import__("transformers").__version__,
                   "torch": torch.__version__, "cases": cases}, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
