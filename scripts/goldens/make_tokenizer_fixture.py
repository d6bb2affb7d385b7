"""Golden token ids for MergeGuard's BPE tokenizer.

Writes
  Tests/Fixtures/tokenizer/smollm2.json         ~1,300 strings with SmolLM2's ids (no BOS), from the GGUF's tokenizer,
                                                and (where they differ) the ids of the same vocabulary split by
                                                GPT-2's plain ByteLevel regex and by Llama-3's regex
  Tests/Fixtures/tokenizer/tiny_bpe.json        a tiny byte-level BPE tokenizer.json trained here with `tokenizers`
  Tests/Fixtures/tokenizer/tiny_bpe_llama3.json the same vocabulary with Llama-3's Split regex and ignore_merges
  Tests/Fixtures/tokenizer/tiny_bpe_ids.json    ~220 strings with that tokenizer's ids, for its smollm-style
                                                pre-tokenizer (Digits + ByteLevel), for plain GPT-2 ByteLevel and
                                                for the Llama-3 variant

Made with (from the repository root):

    /work/main/.venv/bin/python scripts/goldens/make_tokenizer_fixture.py models/SmolLM2-135M-Instruct.Q4_1.gguf Tests/Fixtures/tokenizer

The SmolLM2 ids come from scripts/reference/smollm2_tokenizer.py (the `tokenizers` library, configured like SmolLM2's own
tokenizer.json and llama.cpp's "smollm" pre-type). transformers' GGUF loader is also run on every string: it does not
know the "smollm" pre-type and drops the per-digit split, so where its ids differ they are kept as
`transformers_gguf_ids` for the record (tests do not use them). Strings are hand-written plus seeded random mixes, so
re-running gives the same file.
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from smollm2_tokenizer import build_tokenizer  # noqa: E402

COMMAND = ("/work/main/.venv/bin/python scripts/goldens/make_tokenizer_fixture.py "
           "models/SmolLM2-135M-Instruct.Q4_1.gguf Tests/Fixtures/tokenizer")

SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<repo_name>", "<file_sep>", "<jupyter_code>"]

PROSE = [
    # English
    "The quick brown fox jumps over the lazy dog.",
    "What is the capital of France? It's Paris, and it's been that way for centuries.",
    "She said: \"I'll be there at 5 o'clock, won't you?\"",
    "In 1969, Apollo 11 landed on the Moon; 600,000,000 people watched.",
    # French
    "Le cœur a ses raisons que la raison ne connaît point.",
    "Où est la bibliothèque ? Elle est à côté de l'église, près du château.",
    # German
    "Fünf große Straßenbahnhaltestellen wurden überprüft.",
    "Ärger über Öl- und Übergrößenzuschläge ist völlig normal, oder?",
    # Russian
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Привет, мир! Как дела? Всё хорошо.",
    # Greek
    "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
    "Καλημέρα κόσμε· τι κάνεις;",
    # Arabic
    "مرحبا بالعالم! كيف حالك اليوم؟",
    "اللغة العربية جميلة جداً ١٢٣٤٥.",
    # Hebrew
    "שלום עולם, מה שלומך היום?",
    "עברית נכתבת מימין לשמאל.",
    # Hindi
    "नमस्ते दुनिया! आप कैसे हैं?",
    "हिन्दी भारत की राजभाषा है। १२३",
    # Chinese
    "你好，世界！今天天气很好。",
    "机器学习是人工智能的一个分支，它使计算机能够从数据中学习。",
    # Japanese
    "こんにちは世界！東京は日本の首都です。",
    "カタカナとひらがなと漢字を混ぜて書きます。ｶﾀｶﾅ半角も。",
    # Korean
    "안녕하세요, 세계! 오늘 날씨가 좋네요.",
    "한국어는 한글로 씁니다.",
    # Thai
    "สวัสดีชาวโลก วันนี้อากาศดีมาก",
    "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
]

EMOJI = [
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷", "🇯🇵🇰🇷", "❤️", "🧑🏿‍💻", "🐍", "🚀✨", "👩‍❤️‍💋‍👨", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "1️⃣", "☺︎",
]

CODE = [
    "def add(a, b):\n    return a + b\n",
    "for (int i = 0; i < 10; ++i) {\n\tprintf(\"%d\\n\", i);\n}",
    "let xs = [1, 2, 3].map { $0 * 2 } // Swift",
    "fn main() { println!(\"hello {}\", 42); }",
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    "<div class=\"box\"><a href='https://example.com/?q=1&r=2'>link</a></div>",
    "const f = async (x) => { await fetch(`/api/${x}`); };",
    "#include <stdio.h>\nint main(void){return 0;}",
    "x = np.zeros((3, 4), dtype=np.float32)  # shape (3, 4)",
    "if [ -f \"$HOME/.bashrc\" ]; then source ~/.bashrc; fi",
    "{\"key\": [true, false, null, 1.5e-10], \"nested\": {\"a\": \"b\"}}",
    "    indented with four spaces\n        and eight\n",
    "public static void main(String[] args) throws Exception {}",
    "λx. x + 1 ≤ ∀y ∈ ℝ: y² ≥ 0",
]

NUMBERS = [
    "0", "7", "42", "1234567890", "3.14159265358979", "1,000,000", "1.000.000,00", "-273.15", "+1 (555) 123-4567",
    "12345678901234567890123456789012345678901234567890", "0x1F 0b1010 0o777 1e-9 6.022e23", "2026-12-06T07:10:00Z",
    "١٢٣ ٤٥٦", "१२३४", "五十六", "½ ¼ ¾ ² ³ Ⅻ ⅷ", "$19.99 €5,50 ¥1000 £3", "v1.2.3-rc.4", "a1b2c3", "100%", "  99  ",
]

WHITESPACE = [
    " ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r\n\r\n", " \n ", "trailing space ", " leading space",
    "  both  ", "a\u00a0b", "non\u00a0breaking\u00a0space", "ideographic\u3000space", "line\u2028separator",
    "next\u0085line", "tab\tseparated\tvalues", "many     spaces     between", "\n\n\nthree newlines",
    "end with newline\n", "mixed \t\n \r\n  whitespace", "\x0bvertical\x0cform feed", "words\n    \n    indented",
    "a \u2009thin\u200aspace", "\u3000\u3000", " \t ", "x\r\ny\rz",
]

CONTRACTIONS = [
    "it's", "don't", "they're", "I've", "I'm", "we'll", "he'd", "IT'S", "DON'T", "THEY'RE", "I'LL", "We'Ll",
    "'s 't 're 've 'm 'll 'd", "rock 'n' roll", "o'clock", "'tis", "y'all'd've", "’s curly", "'''", "''s",
]

CHAT = [
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>assistant\nThe capital of France is Paris.<|im_end|>",
    "<|endoftext|>", "text<|endoftext|>more", "<|im_start|><|im_end|>", "<|im_start|", "|im_end|>", "<|im_end",
    "<<|im_start|>>", "<|im_start|>user\n<|endoftext|>\n<|im_end|>", "<repo_name>mergeguard<file_sep>main.swift",
    "<jupyter_code>print(1)<jupyter_output>1<empty_output>", "<|im_start|> spaced <|im_end|> ",
]

ODD_UNICODE = [
    "\u0301", "e\u0301", "\u0301\u0302\u0303", "a\u200bb", "zero\u200dwidth\u200cjoiner", "\ufeffBOM at start",
    "\ufffd replacement \ufffd", "\ue000\ue001 private use \U000f0000", "\U0010fffd", "\u00ad soft hyphen",
    "\u202e right-to-left override \u202c", "\u0000 null", "\u0007 bell \u001b[31m escape", "\ufeff", "\u2060\u2061",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇", "bytes SmolLM2 has no token for: \x04 \x06\x13\x14 \x16\x1d end", "𝕳𝖊𝖑𝖑𝖔 𝓦𝓸𝓻𝓵𝓭", "ﬁﬂ ligatures", "Å Å Å", "\U0001d11e music", "\ud7ff\ue000",
]


def random_strings(rng, count):
    """Seeded mixes of everything above, character soup, and special tokens in odd places."""
    words = " ".join(PROSE + CODE).split()
    alphabet = (
        "abcxyzABCXYZ0123456789 .,;:!?'\"-_/\\()[]{}<>|@#$%^&*+=~`\t\n\r"
        "éèçàüößñøåæœ€£¥§°±×÷¿¡ЖжЯяΩωαβ漢字かなカナ한글ไทยअआक्षعربيעבר"
        "\u00a0\u3000\u2028\u200b\u200d\u0301\u0308\ufeff\ufffd\ue000"
    )
    pieces = words + EMOJI + NUMBERS + WHITESPACE + CONTRACTIONS + ODD_UNICODE + SPECIALS
    out = []
    while len(out) < count:
        kind = rng.random()
        if kind < 0.35:
            out.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))))
        elif kind < 0.65:
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))))
        elif kind < 0.9:
            seps = ["", " ", "  ", "\n", "\t", "\u00a0"]
            out.append("".join(rng.choice(pieces) + rng.choice(seps) for _ in range(rng.randint(1, 8))))
        else:
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 30)))
            out.append(rng.choice(["", " ", "x", "$", "  "]) + digits + rng.choice(["", " ", ".5", "k", "  \n"]))
    return out


def smollm2_cases():
    hand = PROSE + EMOJI + CODE + NUMBERS + WHITESPACE + CONTRACTIONS + CHAT + ODD_UNICODE + LLAMA3_EDGES
    hand += [" ".join(PROSE[i:i + 3]) for i in range(0, len(PROSE), 3)]
    hand += ["".join(EMOJI), " ".join(EMOJI), "emoji😀in👍🏽words", "\n".join(CODE[:4])]
    hand += ["a" * 200, " " * 50, "\n" * 20, "ab" * 100, "🙂" * 30, "9" * 120, "=" * 64, "-" * 80 + "\n"]
    rng = random.Random(20261206)
    strings = hand + random_strings(rng, 1150)
    seen, unique = set(), []
    for s in strings:
        if s and s not in seen:
            seen.add(s)
            unique.append(s)
    return unique


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace(',{"text"', ',\n{"text"'))
        f.write("\n")


LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

LLAMA3_EDGES = [
    "HELLO'S 'Re x'LL they'VE don'T", "\tword (word) .word ,x", "a\n\n b\r\n\r\n  c", "  \r\n  x", "12345678 1234 5",
    "'\u017f 'S 'st", "..\n\n--\r\n", "end.\n", "x  \n", " \n\n", "\u00a0word \u3000word", "a \n\tb", "!!!\n\n\nx",
    "'''s", "\n\n\n", "x\r", "1.5e10", "@user #tag", "  ,", "\u0301x \u0301 x",
]


def variant(tok, pre_tokenizer, ignore_merges=False):
    """The same vocabulary and merges with another pre-tokenizer, to test other split rules on a real vocabulary."""
    from tokenizers import Tokenizer
    spec = json.loads(tok.to_str())
    spec["model"]["ignore_merges"] = ignore_merges
    out = Tokenizer.from_str(json.dumps(spec))
    out.pre_tokenizer = pre_tokenizer
    return out


def gpt2_pre_tokenizer():
    from tokenizers import pre_tokenizers
    return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)


def llama3_pre_tokenizer():
    from tokenizers import Regex, pre_tokenizers
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])


def make_smollm2(gguf_path, out_dir):
    tok = build_tokenizer(gguf_path)
    reference = None
    try:
        from transformers import AutoTokenizer
        reference = AutoTokenizer.from_pretrained(os.path.dirname(os.path.abspath(gguf_path)),
                                                  gguf_file=os.path.basename(gguf_path))
    except Exception as e:  # recorded, not fatal: the fixture's ids come from `tok`
        print(f"transformers GGUF loader unavailable: {e}", file=sys.stderr)

    # Other split rules on SmolLM2's real vocabulary, where a different piece boundary almost always changes ids.
    # Kept only where they differ from `ids`; the Swift tests rebuild them by overriding tokenizer.ggml.pre.
    variants = {"gpt2_ids": variant(tok, gpt2_pre_tokenizer()),
                "llama3_ids": variant(tok, llama3_pre_tokenizer(), ignore_merges=True)}
    cases, differing = [], 0
    for text in smollm2_cases():
        ids = tok.encode(text, add_special_tokens=False).ids
        decoded = tok.decode(ids, skip_special_tokens=False)
        case = {"text": text, "ids": ids}
        if decoded != text:
            # Only bytes the vocabulary has no token for (SmolLM2 lacks 21, e.g. 0x04) may be lost; they are dropped.
            assert all(ord(ch) < 0x20 for ch in set(text) - set(decoded)), f"{text!r} decodes to {decoded!r}"
            case["decoded"] = decoded
        if any(s in text for s in SPECIALS):
            case["decoded_skip_special"] = tok.decode(ids, skip_special_tokens=True)
            tok.encode_special_tokens = True
            case["ids_no_special"] = tok.encode(text, add_special_tokens=False).ids
            tok.encode_special_tokens = False
        for key, other in variants.items():
            other_ids = other.encode(text, add_special_tokens=False).ids
            if other_ids != ids:
                case[key] = other_ids
        if reference is not None:
            theirs = reference(text, add_special_tokens=False)["input_ids"]
            if theirs != ids:
                case["transformers_gguf_ids"] = theirs
                differing += 1
        cases.append(case)
    write_json(os.path.join(out_dir, "smollm2.json"), {
        "model": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "made_by": COMMAND + "  (tokenizers, via scripts/reference/smollm2_tokenizer.py)",
        "transformers_gguf_disagreements": differing if reference is not None else None,
        "cases": cases,
    })
    print(f"smollm2.json: {len(cases)} strings, transformers' GGUF loader differs on {differing}")


TINY_CORPUS = [
    "The cat sat on the mat. The dog sat on the log.",
    "Numbers like 12345 and 3.14 are split into single digits.",
    "Byte-level BPE never needs an unknown token: héllo wörld, 你好, 😀.",
    "def tokenize(text):\n    return text.split()\n",
    "It's the tokenizer's job; they're doing what we'll test.",
] * 20


def make_tiny(out_dir):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, min_frequency=2, show_progress=False,
                                  special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(TINY_CORPUS, trainer=trainer)
    tok.save(os.path.join(out_dir, "tiny_bpe.json"))

    gpt2 = variant(tok, gpt2_pre_tokenizer())
    llama3 = variant(tok, llama3_pre_tokenizer(), ignore_merges=True)
    llama3.save(os.path.join(out_dir, "tiny_bpe_llama3.json"))
    rng = random.Random(7)
    texts = sorted(set(TINY_CORPUS)) + CHAT[:4] + NUMBERS + WHITESPACE[:15] + CONTRACTIONS[:10] + EMOJI[:6]
    texts += LLAMA3_EDGES + random_strings(rng, 200 - len(texts))
    cases = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        assert tok.decode(ids, skip_special_tokens=False) == text
        cases.append({"text": text, "ids": ids, "gpt2_ids": gpt2.encode(text, add_special_tokens=False).ids,
                      "llama3_ids": llama3.encode(text, add_special_tokens=False).ids})
    write_json(os.path.join(out_dir, "tiny_bpe_ids.json"),
               {"tokenizer": "tiny_bpe.json", "made_by": COMMAND, "cases": cases})
    print(f"tiny_bpe.json: vocab {tok.get_vocab_size()}, tiny_bpe_ids.json: {len(cases)} strings")


if __name__ == "__main__":
    gguf_path, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    make_smollm2(gguf_path, out_dir)
    make_tiny(out_dir)
