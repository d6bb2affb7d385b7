"""Render fixture conversations through real chat templates with transformers' own renderer.

Writes Tests/Fixtures/chat-templates/expected.json (and smollm2-135m-instruct.jinja, the template
stored in the default model's GGUF metadata). Each record is one template x conversation x
add_generation_prompt, holding either the exact rendered string or the message of the
TemplateError the template raised (raise_exception).

Made with (from the repository root):
    /work/main/.venv/bin/python scripts/goldens/make_chat_template_fixture.py \
        --gguf models/SmolLM2-135M-Instruct.Q4_1.gguf --out Tests/Fixtures/chat-templates
"""
import argparse
import json
from pathlib import Path

import gguf
import jinja2
import transformers
from transformers.utils.chat_template_utils import render_jinja_template

# bos/eos strings each family's tokenizer passes to its template.
TEMPLATES = {
    "smollm2-135m-instruct": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
    "llama-3.1-instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "mistral-7b-instruct-v0.2": {"bos_token": "<s>", "eos_token": "</s>"},
    "qwen2.5-instruct": {"bos_token": "", "eos_token": "<|im_end|>"},
    "gemma-2-it": {"bos_token": "<bos>", "eos_token": "<eos>"},
    "features": {"bos_token": "<BOS>", "eos_token": "<EOS>"},
}

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather — in °C",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "City name"}, "days": {"type": "integer"}},
                "required": ["city"],
            },
        },
    }
]


def m(role, content):
    return {"role": role, "content": content}


CASES = [
    ("single_user", [m("user", "What is the capital of France?")], None),
    ("system_user", [m("system", "You are a terse assistant."), m("user", "Hi")], None),
    ("multi_turn", [m("user", "Hello"), m("assistant", "Hi! How can I help?"), m("user", "Tell me a joke.")], None),
    (
        "system_multi_turn",
        [m("system", "Be kind."), m("user", "One"), m("assistant", "Two"), m("user", "Three")],
        None,
    ),
    (
        "unicode_quotes_newlines",
        [m("user", "Héllo «wörld» 你好 🙂\nSecond line with 'single' and \"double\" quotes, a backslash \\ and {{ not a tag }} {% nor this %}")],
        None,
    ),
    (
        "surrounding_whitespace",
        [m("user", "  padded content \n\n"), m("assistant", "\t answer with tabs \t"), m("user", " last ")],
        None,
    ),
    ("ends_with_assistant", [m("user", "Q"), m("assistant", "A")], None),
    ("two_users_in_a_row", [m("user", "first"), m("user", "second")], None),
    ("assistant_first", [m("assistant", "I speak first"), m("user", "ok")], None),
    ("system_only", [m("system", "Only a system prompt.")], None),
    ("tool_result", [m("user", "Weather?"), m("assistant", "Calling."), m("tool", '{"temp": 21}'), m("user", "Thanks")], None),
    ("with_tools", [m("user", "Weather in Paris?")], {"tools": TOOLS}),
    ("extra_variables", [m("user", "Date?")], {"date_string": "06 Dec 2026", "flag": True, "count": 3, "ratio": 0.25, "nothing": None}),
]


def render(source, messages, add_generation_prompt, bos_token, eos_token, extra):
    extra = dict(extra or {})
    tools = extra.pop("tools", None)
    try:
        rendered, _ = render_jinja_template(
            conversations=[messages],
            tools=tools,
            chat_template=source,
            add_generation_prompt=add_generation_prompt,
            bos_token=bos_token,
            eos_token=eos_token,
            **extra,
        )
        return {"expected": rendered[0]}
    except jinja2.exceptions.TemplateError as error:
        return {"error": str(error), "error_type": type(error).__name__}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", required=True, help="the default model, whose tokenizer.chat_template is used")
    parser.add_argument("--out", required=True, help="Tests/Fixtures/chat-templates")
    args = parser.parse_args()
    out = Path(args.out)

    reader = gguf.GGUFReader(args.gguf)
    smol = reader.fields["tokenizer.chat_template"].contents()
    (out / "smollm2-135m-instruct.jinja").write_text(smol, encoding="utf-8")

    records = []
    for name, tokens in TEMPLATES.items():
        source = (out / f"{name}.jinja").read_text(encoding="utf-8")
        for case, messages, extra in CASES:
            for add_generation_prompt in (False, True):
                record = {
                    "template": name,
                    "case": case,
                    "add_generation_prompt": add_generation_prompt,
                    "messages": messages,
                    # A JSON string, so dictionary order survives readers that do not keep it.
                    "extra_context": json.dumps(extra or {}, ensure_ascii=False),
                }
                record.update(render(source, messages, add_generation_prompt, tokens["bos_token"], tokens["eos_token"], extra))
                records.append(record)

    document = {
        "generator": "scripts/goldens/make_chat_template_fixture.py",
        "transformers": transformers.__version__,
        "jinja2": jinja2.__version__,
        "templates": TEMPLATES,
        "records": records,
    }
    (out / "expected.json").write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    errors = sum("error" in r for r in records)
    print(f"wrote {len(records)} records ({errors} expected errors) to {out / 'expected.json'}")


if __name__ == "__main__":
    main()
