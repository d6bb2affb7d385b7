"""The reference tokenizer for a byte-level BPE GGUF (SmolLM2 and other GPT-2-style vocabularies), built with the
`tokenizers` library from the file's own metadata.

Why not transformers' GGUF loader: transformers (5.x) maps `tokenizer.ggml.pre` to a split regex only for a fixed list
of pre-types, and "smollm" is not on it, so it falls back to plain GPT-2 ByteLevel splitting. SmolLM2's own
tokenizer.json (and llama.cpp's "smollm" pre-type: regexes "\\p{N}" then the GPT-2 one) first split every digit on its
own, which changes ids for text like "a  123" ("ĠĠ" is a token). This builds that pre-tokenizer explicitly.

    from smollm2_tokenizer import build_tokenizer
    build_tokenizer("models/SmolLM2-135M-Instruct.Q4_1.gguf").save("tokenizer.json")
"""
from gguf import GGUFReader
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

CONTROL, USER_DEFINED = 3, 4  # gguf.TokenType values


def _strings(reader, key):
    field = reader.fields[key]
    return [bytes(field.parts[i]).decode("utf-8") for i in field.data]


def _ints(reader, key):
    field = reader.fields[key]
    return [int(field.parts[i][0]) for i in field.data]


def _scalar(reader, key, default=None):
    field = reader.fields.get(key)
    if field is None:
        return default
    value = field.parts[field.data[0]]
    if field.types[0].name == "STRING":
        return bytes(value).decode("utf-8")
    return value.tolist()[0]


def pre_tokenizer_for(pre_type):
    """The HF pre-tokenizer equivalent to llama.cpp's pre-type for byte-level vocabularies we support."""
    if pre_type == "smollm":
        return pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ])
    if pre_type in (None, "default", "gpt2"):
        return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    raise ValueError(f"tokenizer.ggml.pre {pre_type!r} is not supported by this reference builder")


def build_tokenizer(gguf_path):
    """A `tokenizers.Tokenizer` equivalent to the GGUF's byte-level BPE tokenizer (no BOS added: add_bos is false)."""
    reader = GGUFReader(gguf_path)
    model = _scalar(reader, "tokenizer.ggml.model")
    if model != "gpt2":
        raise ValueError(f"{gguf_path}: tokenizer.ggml.model is {model!r}; only byte-level 'gpt2' is supported")
    tokens = _strings(reader, "tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ", 1)) for m in _strings(reader, "tokenizer.ggml.merges")]
    types = _ints(reader, "tokenizer.ggml.token_type")
    vocab = {t: i for i, t in enumerate(tokens)}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False))
    tokenizer.pre_tokenizer = pre_tokenizer_for(_scalar(reader, "tokenizer.ggml.pre"))
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    added = [AddedToken(t, special=(k == CONTROL), normalized=False)
             for t, k in zip(tokens, types) if k in (CONTROL, USER_DEFINED)]
    tokenizer.add_special_tokens([a for a in added if a.special])
    tokenizer.add_tokens([a for a in added if not a.special])
    return tokenizer
