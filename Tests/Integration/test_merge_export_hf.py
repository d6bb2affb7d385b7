"""`mergeguard merge --out DIR` from a GGUF base writes an HF folder that `transformers` loads as it is: the tokenizer
made from the GGUF metadata gives the reference ids (Tests/Fixtures/tokenizer/smollm2.json, made with `tokenizers`),
the chat template is the GGUF's, and greedy generation equals MergeGuard's f32 path on the same folder."""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import BINARY, ROOT, ZOO

GGUF_BASE = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
FIXTURE = os.path.join(ROOT, "Tests", "Fixtures", "tokenizer", "smollm2.json")
PROMPT = "What is the capital of France?"
NEW_TOKENS = 16


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export-hf")
    # A trusted adapter is applied to its base alone: the cheapest merge that still goes through the merge engine.
    registry = {"server": {"cache_dir": str(folder / "cache")},
                "families": {"f": {"base": GGUF_BASE}},
                "models": {"m": {"family": "f", "trusted": True, "path": os.path.join(ZOO, "adapters", "sentiment-b")}}}
    (folder / "models.json").write_text(json.dumps(registry))
    out = folder / "merged"
    result = subprocess.run([BINARY, "merge", "--config", str(folder / "models.json"), "--model", "m", "--out", str(out)],
                            capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert "note:" not in result.stderr, result.stderr
    return out


def test_export_has_the_tokenizer_files(export):
    for name in ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "generation_config.json"):
        assert (export / name).is_file(), name


def test_transformers_tokenizer_gives_the_reference_ids(export):
    from transformers import AutoTokenizer

    sys.path.insert(0, os.path.join(ROOT, "scripts", "reference"))
    from smollm2_tokenizer import build_tokenizer

    reference = build_tokenizer(GGUF_BASE)
    tokenizer = AutoTokenizer.from_pretrained(str(export))
    cases = json.load(open(FIXTURE))["cases"]
    assert cases
    for case in cases:
        assert tokenizer.encode(case["text"]) == case["ids"], case["text"]
        # Not always the text: bytes without a token are dropped, as in the reference.
        assert tokenizer.decode(case["ids"]) == reference.decode(case["ids"], skip_special_tokens=False), case["text"]


def test_chat_template_and_special_tokens_are_the_ggufs(export):
    from gguf import GGUFReader
    from transformers import AutoTokenizer

    reader = GGUFReader(GGUF_BASE)

    def scalar(key):
        field = reader.fields[key]
        value = field.parts[field.data[0]]
        return bytes(value).decode("utf-8") if field.types[0].name == "STRING" else value.tolist()[0]

    tokenizer = AutoTokenizer.from_pretrained(str(export))
    assert tokenizer.chat_template == scalar("tokenizer.chat_template")
    assert tokenizer.eos_token_id == scalar("tokenizer.ggml.eos_token_id")
    assert tokenizer.bos_token_id == scalar("tokenizer.ggml.bos_token_id")
    assert tokenizer.pad_token_id == scalar("tokenizer.ggml.padding_token_id")


def test_transformers_greedy_text_equals_mergeguards_f32_path(export):
    # scripts/setup.sh keeps .venv light (no torch); venvs with torch (the reference tools') run this.
    torch = pytest.importorskip("torch", reason="transformers needs torch to run the model")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(export))
    model = AutoModelForCausalLM.from_pretrained(str(export), dtype=torch.float32)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True)
    with torch.no_grad():
        output = model.generate(**prompt, max_new_tokens=NEW_TOKENS, do_sample=False)
    reference = tokenizer.decode(output[0, prompt["input_ids"].shape[1]:], skip_special_tokens=True)

    ours = subprocess.run([BINARY, "chat", "--model", str(export), "--weights", "f32", "--prompt", PROMPT,
                           "--temperature", "0", "--max-tokens", str(NEW_TOKENS), "--ctx-size", "256", "--verbose"],
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert ours.returncode == 0, ours.stderr
    prompt_tokens = int(re.search(r"prompt (\d+) tokens", ours.stderr).group(1))
    assert prompt_tokens == prompt["input_ids"].shape[1]
    assert ours.stdout.strip() == reference.strip()
