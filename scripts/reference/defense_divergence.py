"""Why int8 and fp32 disagree on a configuration: replies from `mergeguard serve` (int8, greedy, 12 tokens) are
compared row by row with the fp32 replies in reference.json; for each row whose predicted label differs, the fp32
model is teacher-forced along the common prefix and the gap between its top two logits at the first diverging token
is printed. Small gaps mean a near-tie that int8 rounding tips over, not a different computation.

    .venv/bin/python scripts/reference/defense_divergence.py "raw backdoor-cf" eval-topic.jsonl [more files]
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import openai
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from defense_reference import BASE, REPO, build, labels_of, load_rows, predict, prompts_of  # noqa: E402
from run_swift_defense import models_json  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402


def int8_replies(name, files):
    with tempfile.TemporaryDirectory(prefix="mergeguard-divergence-") as tmp:
        config = os.path.join(tmp, "models.json")
        json.dump(models_json(name, os.path.join(tmp, "cache")), open(config, "w"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([os.path.join(REPO, ".build", "release", "mergeguard"), "serve", "--config", config,
                                   "--port", str(port), "--parallel", "16"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0, timeout=600)
            for _ in range(600):
                try:
                    client.chat.completions.create(model="m", max_tokens=1, messages=[{"role": "user", "content": "hi"}])
                    break
                except Exception:
                    time.sleep(0.5)
            out = {}
            for file in files:
                rows = load_rows(file, 100)
                replies = [None] * len(rows)
                pending = list(range(len(rows)))
                lock = threading.Lock()

                def worker():
                    while True:
                        with lock:
                            if not pending:
                                return
                            i = pending.pop()
                        r = client.chat.completions.create(model="m", max_tokens=12, temperature=0,
                                                           messages=[{"role": "user", "content": rows[i]["prompt"]}])
                        replies[i] = r.choices[0].message.content
                threads = [threading.Thread(target=worker) for _ in range(8)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                out[file] = replies
            return out
        finally:
            server.terminate()
            server.wait(timeout=30)


@torch.inference_mode()
def top2_gap(model, tokenizer, prompt, prefix_a, prefix_b):
    """fp32 logit gap between the two models' choices at the first token where the replies' tokens differ."""
    a = tokenizer(prefix_a, add_special_tokens=False)["input_ids"]
    b = tokenizer(prefix_b, add_special_tokens=False)["input_ids"]
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"] + b[:k]
    logits = model(torch.tensor([ids])).logits[0, -1]
    top = logits.topk(2)
    return k, (top.values[0] - top.values[1]).item(), tokenizer.decode(top.indices[:1]), tokenizer.decode(top.indices[1:])


def main():
    name, files = sys.argv[1], sys.argv[2:]
    reference = json.load(open(os.path.join(REPO, "bench", "defense-reference", "reference.json")))["configurations"][name]
    replies = int8_replies(name, files)
    tokenizer = AutoTokenizer.from_pretrained(BASE)
    base_state = AutoModelForCausalLM.from_pretrained(BASE, dtype=torch.float32).state_dict()
    model = build(name, base_state)
    for file in files:
        rows = load_rows(file, 100)
        labels = labels_of(rows)
        prompts = prompts_of(tokenizer, rows)
        fp32 = reference["files"][file]["replies"]
        same = sum(a == b for a, b in zip(replies[file], fp32))
        flips = [i for i in range(len(rows)) if predict(replies[file][i], labels) != predict(fp32[i], labels)]
        print(f"{name} / {file}: {same} of {len(rows)} replies identical; predicted label differs on {len(flips)} rows")
        for i in flips:
            k, gap, first, second = top2_gap(model, tokenizer, prompts[i], replies[file][i], fp32[i])
            print(f"  row {i}: int8 {replies[file][i]!r} -> {predict(replies[file][i], labels)}; fp32 {fp32[i]!r} -> "
                  f"{predict(fp32[i], labels)}; fp32 top-2 logit gap at reply token {k}: {gap:.3f} "
                  f"({first!r} vs {second!r})")


if __name__ == "__main__":
    sys.exit(main())
