"""Render fixture conversations through real chat templates with transformers' own renderer.

Writes Tests/Fixtures/chat-templates/expected.json (and smollm2-135m-instruct.jinja, the template
stored in the default model's GGUF metadata). Each record is one template x conversation x
add_generation_prompt, holding either the exact rendered string or the message of the
TemplateError the template raised (raise_exception).

Also writes Tests/Fixtures/chat-templates/snippets.json: small templates exercising single Jinja
features, rendered by the same jinja2 environment transformers builds (or the error they raise).

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
from transformers.utils.chat_template_utils import _compile_jinja_template, render_jinja_template

# bos/eos strings each family's tokenizer passes to its template.
TEMPLATES = {
    "smollm2-135m-instruct": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
    "llama-3.1-instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "mistral-7b-instruct-v0.2": {"bos_token": "<s>", "eos_token": "</s>"},
    "qwen2.5-instruct": {"bos_token": "", "eos_token": "<|im_end|>"},
    "gemma-2-it": {"bos_token": "<bos>", "eos_token": "<eos>"},
    "mistral-nemo-instruct-2407": {"bos_token": "<s>", "eos_token": "</s>"},
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
    (
        "tool_call_round_trip",
        [
            m("system", "Use tools."),
            m("user", "Weather in Paris?"),
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}}
                ],
            },
            {"role": "tool", "tool_call_id": "call12345", "content": "21 °C, \"sunny\""},
            m("assistant", "It is 21 °C and sunny."),
            m("user", "Thanks!"),
        ],
        {"tools": TOOLS},
    ),
    ("empty_conversation", [], None),
]

# Single-feature templates; each is rendered with SNIPPET_CONTEXT.
SNIPPET_CONTEXT = {
    "msgs": [m("user", "a"), m("bot", "b"), m("user", "c")],
    "d": {},
    "x": {"b": 1, "a": [1, 2]},
    "s": "  Mixed Case, with punctuation!  ",
    "n": 7,
    "f": 2.5,
}

SNIPPETS = [
    # whitespace control, trim_blocks, lstrip_blocks, + overrides, comments, trailing newline
    "a  {{- ' b ' -}}  c\n{%- if true %} d {% endif -%}\n e",
    "<\n  {% if true %}\n    x\n  {% endif %}\n>",
    "  {%+ if true %}x{% endif +%}\ny",
    "{# c #}\n  {# d #}\nz",
    "one trailing newline is dropped\n",
    "two trailing newlines keep one\n\n",
    "{{ 'x' }}  {% if true %}kept indent after an expression{% endif %}",
    "\t{% if true %}\ttab{% endif %}\n",
    "line\r\nwindows\r\n{% if true %}\r\nx{% endif %}",
    "{%- for i in [1, 2] -%}\n  {{ i }}\n{%- endfor -%}\n!",
    "a\u00a0\u2003\n {{- 'b' -}} \u3000\r\n c",
    "{% for i in [1, 2] %}\n  {{ i }}\n{% endfor %}\n!",
    # loops
    "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first|int }}{{ loop.last|int }}{{ loop.length }}{{ loop.previtem|default('-') }}{{ loop.nextitem|default('-') }};{% endfor %}",
    "{% for x in [1,2,3,4,5] if x is odd %}{{ x }}{{ ',' if not loop.last }}{% else %}none{% endfor %}|{% for x in [] %}a{% else %}empty{% endfor %}",
    "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}",
    "{% set x = 0 %}{% for i in range(3) %}{{ x }}{% set x = x + 1 %}{{ x }},{% endfor %}{{ x }}",
    "{% set ns = namespace(n=0, seen=[]) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% set local = i %}{% endfor %}{{ ns.n }}|{{ local is defined }}",
    "{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }};{% endfor %}",
    "{% for k in x %}{{ k }}{% endfor %}|{% for k, v in x.items() %}{{ k }}={{ v }} {% endfor %}|{% for a, b in [[1, 2], (3, 4)] %}{{ a + b }}{% endfor %}",
    "{% for m in msgs if m.role == 'user' %}{{ loop.index }}/{{ loop.length }}:{{ m.content }} {% endfor %}",
    "{% for i in range(3, 0, -1) %}{{ i }}{% endfor %}{% for i in range(0) %}never{% endfor %}",
    # slicing and indexing
    "{{ 'hello'[1:3] }}|{{ 'hello'[::-1] }}|{{ [1,2,3,4][-2:] }}|{{ [1,2,3,4][::2] }}|{{ 'hello'[-1] }}|{{ [1,2,3][5] is undefined }}",
    "{{ msgs[-1].content }}|{{ msgs[1:]|length }}|{{ msgs[:-1]|map(attribute='role')|join }}|{{ 'abcdef'[1:-1:2] }}|{{ [1,2,3][10:] }}|{{ msgs[0]['role'] }}",
    # filters
    "{{ ' x '|trim }}|{{ 'a b'|upper }}|{{ ['b','a']|sort|join(',') }}|{{ [1,2]|tojson }}|{{ {'k': 'é'}|tojson }}|{{ none|tojson }}|{{ 'x'|default('y') }}|{{ missing|d('y') }}|{{ [3,1]|first }}|{{ [3,1]|last }}|{{ 'ab'|length }}|{{ 1.5|int }}|{{ '3'|float }}",
    "{{ msgs|selectattr('role','equalto','user')|map(attribute='content')|join('+') }}|{{ msgs|rejectattr('role','eq','user')|list|length }}|{{ msgs|map(attribute='role')|unique|list }}",
    "{{ 'hello world-foo'|title }} {{ 'hello world-foo'.title() }} {{ 'mIxEd'|capitalize }} {{ \"a\\nb\"|indent(2, first=true) }} {{ 2.675|round(2) }} {{ 7|round }} {{ -2|abs }}",
    "{{ [{'a': 1, 'b': [1, 2]}, 'x']|tojson(indent=2) }}",
    "{{ x|tojson(separators=(',', ':')) }} {{ x|tojson(sort_keys=true) }} {{ 'é'|tojson(ensure_ascii=true) }} {{ '🙂'|tojson(true) }}",
    "{{ s|trim }}|{{ s|lower }}|{{ s|upper }}|{{ s|title }}|{{ s|capitalize }}|{{ s|length }}|{{ s|replace(' ', '_') }}|{{ s|trim('! ') }}",
    "{{ [3, 1, 2]|sort }} {{ [3, 1, 2]|sort(reverse=true) }} {{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} {{ msgs|sort(attribute='role')|map(attribute='content')|join }}",
    "{{ ['a', 'A', 'b']|unique|list }} {{ [1, 2, 1]|unique|list }} {{ [1, 2, 3]|sum }} {{ [4, 2, 9]|min }} {{ [4, 2, 9]|max }} {{ [1, 2]|reverse|list }} {{ 'abc'|list }}",
    "{{ [1, 2, 3, 4]|select('even')|list }} {{ [1, 2, 3, 4]|reject('odd')|list }} {{ [0, 1, '', 'a']|select|list }} {{ ['a', 'b']|map('upper')|list }}",
    "{{ '42'|int }} {{ 'x'|int }} {{ 'x'|int(-1) }} {{ '0x1A'|int(0, 16) }} {{ ' 7 '|int }} {{ 3.9|int }} {{ true|int }} {{ 'nan'|float }} {{ '1e3'|float }} {{ 'x'|float }}",
    "{{ 'a\nb\n'|indent }}|{{ 'a\n\nb'|indent(2, blank=true) }}|{{ 'a\nb'|indent('>>') }}",
    "{{ '<a href=\"x\">&\\'</a>'|e }} {{ '<b>'|safe }} {{ 3|string ~ 4|string }}",
    "{{ 3.14159|round(3) }} {{ 0.5|round }} {{ 1.5|round }} {{ 2.5|round }} {{ -0.5|round }} {{ 2.4|round(0, 'ceil') }} {{ 2.6|round(method='floor') }}",
    "{{ d|items|list }} {{ x|items|list }} {{ x|list }} {{ x|length }} {{ x|first }}",
    "{% set t %}  Block {{ n }}  {% endset %}[{{ t }}]{% set u | trim %}  Trimmed {{ n }}  {% endset %}[{{ u }}]",
    # tests
    "{{ none is none }} {{ 0 is none }} {{ 1 is number }} {{ 1.5 is number }} {{ true is number }} {{ 'a' is string }} {{ x is mapping }} {{ msgs is sequence }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ missing is iterable }}",
    "{{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }} {{ true is boolean }} {{ 1 is integer }} {{ 1.0 is float }} {{ 4 is divisibleby 2 }} {{ 3 is odd }} {{ 3 is even }}",
    "{{ 1 is eq 1 }} {{ 'x' is equalto 'x' }} {{ 2 is gt 1 }} {{ 2 is ge 3 }} {{ 1 is lt 2 }} {{ 'a' is in 'abc' }} {{ 'a' is ne 'b' }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ none is sameas none }}",
    "{{ msgs is not string }} {{ missing is not defined }} {{ d.nope is undefined }} {{ greet is defined }} {{ range is callable }}",
    # Undefined
    "{{ missing }}|{{ missing is defined }}|{{ missing|length }}|{% if missing %}t{% else %}f{% endif %}|{{ d.nope }}|{{ d['nope'] is undefined }}",
    "{{ missing|default('dflt') }}|{{ missing|list }}|{{ missing|join }}|{{ missing|trim }}|{{ missing ~ 'x' }}|{{ missing == none }}|{{ missing|first is undefined }}|{{ 'a' in missing }}|{{ not missing }}|{{ missing|int }}",
    "{{ missing.attr }}",
    "{{ d.a.b }}",
    "{{ missing + 1 }}",
    "{{ missing[0] }}",
    "{{ missing() }}",
    "{{ none.attr }}|{{ none['x'] }}|{{ 'str'.nope }}|{{ msgs[0].nope }}|{{ msgs[7] is defined }}",
    "{{ msgs[7].content }}",
    "{{ none[0].x }}",
    "{{ msgs[0].nope.deeper }}",
    "{% if false %}{{ x|nosuchfilter }}{% endif %}{% if false %}{{ x is nosuchtest }}{% endif %}soft",
    "{% for x in none %}{% endfor %}",
    # macros, call blocks, inline if
    "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', punct='?') }} {{ greet(name='Cy') }}",
    "{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}inside {{ n }}{% endcall %}",
    "{% macro row(cells) %}{% for c in cells %}<{{ c }}>{% endfor %}{% endmacro %}{{ row(['a', 'b']) }}{{ row([]) }}|{% set r = row([1]) %}{{ r|length }}",
    "{% set t = 'x' if false %}{{ t is defined }}|{{ 'yes' if n > 5 else 'no' }}|{{ 'a' if none else 'b' if 0 else 'c' }}",
    # operators and printing
    "{{ 10 // 3 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 3 ** 2 }} {{ 1 / 4 }} {{ 3 * 'ab' }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'b' > 'a' }} {{ not 'x' in 'xyz' }} {{ 'q' not in ['a'] }}",
    "{{ 1e3 }} {{ 1e16 }} {{ 1.5e-5 }} {{ 123456789.123 }} {{ 0.0001 }} {{ -0.0 }} {{ 100.0 }} {{ 1/3 }} {{ 2**0.5 }} {{ 10 / 5 }} {{ 7.0 // 2 }} {{ -7.5 % 2 }}",
    "{{ {'a': [1, 'x', none, true, 2.50]} }} {{ ('a',) }} {{ (1, 'b') }} {{ \"it's\" }} {{ [\"it's\", 'say \"hi\"'] }} {{ ['tab\there', 'nl\nx', 'bs\\y'] }}",
    "{{ n + f }} {{ n - 10 }} {{ n * 2.0 }} {{ -n }} {{ +f }} {{ n > f and n < 10 }} {{ n == 7 or missing.x }} {{ [1] + [2] }} {{ 'a' ~ 1 ~ none ~ true }} {{ (1, 2) + (3,) }}",
    "{{ 1 < 2 < 3 }} {{ [1, 2] < [1, 3] }} {{ 'abc' < 'abd' }} {{ (1 > 0) == true }} {{ 0 or '' or 'last' }} {{ 1 and 'two' }} {{ none or 0 }}",
    "{{ 'a' + 1 }}",
    "{{ 1 < 'a' }}",
    "{{ 3 > 2 > 1 }} {{ 1 < 3 > 2 }} {{ 1 == 1 == 1 }} {{ 2 > 1 == true }} {{ 'a' in 'abc' in ['abc'] }} {{ 1 < 2 < missing_is_never_evaluated if false else 'short' }}",
    "{% for i in range(5) %}{{ loop.cycle('odd', 'even') }} {% endfor %}",
    "{{ ['\u200b', '\x85', '\u00a0', 'é', '\u2028', '\x7f', '\U0001f642', '\ue000'] }}",
    "{{ 1 / 0 }}",
    # string and dict methods
    "{{ 'a,b,,c'.split(',') }} {{ '  a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'Hello World'.startswith(('x','He')) }} {{ 'abc'.endswith('bc') }} {{ 'xaxb'.replace('x', '-', 1) }}",
    "{{ {'x': 1}.get('x') }} {{ {'x': 1}.get('y') }} {{ {'x': 1}.get('y', 'z') }} {{ {'x': 1}.items()|list }} {{ x.keys()|list }} {{ x.values()|list }} {% for k, v in {'p': 1, 'q': 2}|items %}{{ k }}{{ v }}{% endfor %}",
    "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.strip(' !') }}|{{ s.upper() }}|{{ s.lower() }}|{{ s.title() }}|{{ s.capitalize() }}|{{ s.find('Case') }}|{{ s.count(' ') }}",
    "{{ '-'.join(['a', 'b']) }} {{ 'a\nb\r\nc'.splitlines() }} {{ 'abc'.removeprefix('a') }} {{ '123'.isdigit() }} {{ 'ab1'.isalpha() }} {{ 'x y'.split(' ') }} {{ [1, 2, 2].count(2) }} {{ ['a', 'b'].index('b') }}",
    # globals
    "{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ dict(a=1, b='x') }} {{ namespace(a=1).a }} {% set ns = namespace({'k': 'v'}) %}{{ ns.k }}",
    "{{ raise_exception('bad ' ~ 42) }}",
    "{% if n > 3 %}{{ raise_exception('n is ' ~ n) }}{% endif %}never",
    # syntax errors (jinja2 reports the line)
    "line one\n{% for x in y %}never closed",
    "{{ 1 + }}",
    "a\nb\n  {% endfor %}",
    "{% if x %}\n{% frobnicate %}{% endif %}",
    "{{ x|nosuchfilter }}",
    "{% if x is nosuchtest %}{% endif %}",
    "{{ x is nosuchtest }}",
    "{% for m in [] %}{{ m|nosuchfilter }}{% endfor %}",
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


def render_snippet(source):
    try:
        return {"expected": _compile_jinja_template(source).render(**SNIPPET_CONTEXT)}
    except jinja2.exceptions.TemplateSyntaxError as error:
        return {"error": error.message, "error_type": type(error).__name__, "error_line": error.lineno}
    except Exception as error:  # every failure is recorded; the Swift test checks its kind and message
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
                    # The same messages as JSON text, keeping key order for messages with tool calls.
                    "messages_json": json.dumps(messages, ensure_ascii=False),
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

    snippets = [{"source": source, **render_snippet(source)} for source in SNIPPETS]
    snippet_document = {
        "generator": "scripts/goldens/make_chat_template_fixture.py",
        "jinja2": jinja2.__version__,
        "context_json": json.dumps(SNIPPET_CONTEXT, ensure_ascii=False),
        "snippets": snippets,
    }
    (out / "snippets.json").write_text(json.dumps(snippet_document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(snippets)} snippets to {out / 'snippets.json'}")


if __name__ == "__main__":
    main()
