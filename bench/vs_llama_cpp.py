"""Side-by-side speed of MergeGuard (int8) and llama.cpp (Q8_0) on SmolLM2-135M-Instruct. See bench/vs-llama-cpp."""
import argparse
import json
import os
import statistics
import subprocess
import time

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFWriter
from gguf.constants import GGUFValueType
from gguf.quants import dequantize, quantize

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SOURCE = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
Q8 = os.path.join(ROOT, "bench", "out", "SmolLM2-135M-Instruct.Q8_0.gguf")


def make_q8_0(source, target):
    """The same dequantized weights, every matrix re-quantized to Q8_0 (norms stay F32), metadata copied."""
    if os.path.exists(target):
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    reader = GGUFReader(source)
    arch = bytes(reader.fields["general.architecture"].parts[-1]).decode()
    writer = GGUFWriter(target + ".partial", arch)
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        kind = field.types[0]
        if kind == GGUFValueType.ARRAY:
            sub = field.types[1]
            values = [bytes(field.parts[i]).decode("utf-8", "surrogateescape") if sub == GGUFValueType.STRING
                      else field.parts[i].tolist()[0] for i in field.data]
            writer.add_array(name, values)
        elif kind == GGUFValueType.STRING:
            writer.add_string(name, bytes(field.parts[-1]).decode())
        else:
            writer.add_key_value(name, field.parts[-1].tolist()[0], kind)
    for t in reader.tensors:
        shape = [int(d) for d in reversed(t.shape)]
        values = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(shape)
        if len(shape) == 2:
            writer.add_tensor(t.name, quantize(values, GGMLQuantizationType.Q8_0), raw_dtype=GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor(t.name, values)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.rename(target + ".partial", target)


def copy_bandwidth(megabytes=512, repeats=5):
    """Bytes moved per second by a large memcpy (read + write counted once each, as STREAM's copy does)."""
    a = np.ones(megabytes * (1 << 20) // 8)
    b = np.empty_like(a)
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(b, a)
        best = max(best, 2 * a.nbytes / (time.perf_counter() - start))
    return best


def run_llama_cpp(path, threads, prompt_tokens, decode_tokens):
    from llama_cpp import Llama
    llm = Llama(model_path=path, n_ctx=max(2048, prompt_tokens + decode_tokens + 8), n_threads=threads, n_threads_batch=threads,
                n_batch=512, verbose=False)
    prompt = [1000 + (i * 37) % 20000 for i in range(prompt_tokens)]
    vocab = llm.n_vocab()

    def last_logits():
        # Without logits_all llama-cpp-python keeps no scores; the context holds the last token's logits.
        return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(vocab,))

    start = time.perf_counter()
    llm.eval(prompt)
    prefill = prompt_tokens / (time.perf_counter() - start)
    token = int(np.argmax(last_logits()))
    start = time.perf_counter()
    for _ in range(decode_tokens):
        llm.eval([token])
        token = int(np.argmax(last_logits()))
    decode = decode_tokens / (time.perf_counter() - start)
    del llm
    return prefill, decode


def run_mergeguard(threads, prompt_tokens, decode_tokens):
    env = dict(os.environ, MERGEGUARD_THREADS=str(threads))
    out = subprocess.run([os.path.join(ROOT, ".build", "release", "mergeguard"), "bench", "--json", "--prompt",
                          str(prompt_tokens), "--tokens", str(decode_tokens)], env=env, capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--prompt", type=int, default=512)
    p.add_argument("--tokens", type=int, default=128)
    args = p.parse_args()
    make_q8_0(SOURCE, Q8)
    ours, theirs, bandwidths, shares, report = [], [], [], [], None
    for _ in range(args.runs):   # alternate so drift in machine load hits both engines alike
        # The copy bandwidth is measured right before each MergeGuard run, and that run's decode is set against it:
        # on a shared host both move together by ±20% within minutes, so one figure taken at the start misstates
        # later runs in either direction.
        bandwidths.append(copy_bandwidth())
        report = run_mergeguard(args.threads, args.prompt, args.tokens)
        ours.append((report["prefill_tokens_per_second"], report["decode_tokens_per_second"]))
        shares.append(report["decode_tokens_per_second"] * report["weight_bytes_read_per_token"] / bandwidths[-1])
        theirs.append(run_llama_cpp(Q8, args.threads, args.prompt, args.tokens))
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    bandwidth = statistics.median(bandwidths)
    roofline = bandwidth / report["weight_bytes_read_per_token"]
    cpu_flags = [f for f in open("/proc/cpuinfo").read().split("flags")[1].split("\n")[0].split()
                 if f.startswith(("avx", "fma", "f16c"))]
    print(f"cpu: {report['cpu']}; flags: {' '.join(sorted(set(cpu_flags)))}; kernel: {report['kernel']}; "
          f"threads: {args.threads}; runs: {args.runs}; prompt {args.prompt}, decode {args.tokens}")
    print(f"copy bandwidth: {bandwidth / 1e9:.1f} GB/s (median; runs {min(bandwidths) / 1e9:.1f}-"
          f"{max(bandwidths) / 1e9:.1f}); int8 bytes read per token: "
          f"{report['weight_bytes_read_per_token'] / 1e6:.1f} MB; decode roofline: {roofline:.0f} tokens/s")
    print(f"prefill tokens/s: mergeguard {med(ours, 0):.0f}, llama.cpp {med(theirs, 0):.0f}, "
          f"ratio {med(ours, 0) / med(theirs, 0):.2f}")
    print(f"decode tokens/s:  mergeguard {med(ours, 1):.1f}, llama.cpp {med(theirs, 1):.1f}, "
          f"ratio {med(ours, 1) / med(theirs, 1):.2f}")
    print(f"mergeguard decode at {100 * statistics.median(shares):.0f}% of the roofline (median of each run against "
          f"the bandwidth measured just before it: {', '.join(f'{100 * s:.0f}%' for s in shares)}); "
          f"median decode against median bandwidth: {100 * med(ours, 1) / roofline:.0f}%")


if __name__ == "__main__":
    main()
