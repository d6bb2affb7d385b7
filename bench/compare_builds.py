"""Two or more `mergeguard` binaries side by side on a shared, noisy machine: runs `mergeguard bench --json`
alternating the binaries, and prints each one's medians as a ratio to the first, plus the logits fingerprints
(equal fingerprints: the builds computed bit-identical floats).

    python3 bench/compare_builds.py [--runs 3] [--threads 2] [--prompt 512] [--tokens 128] [--batch 1] OLD NEW...

Keep a copy of the old release binary before rebuilding (cp .build/release/mergeguard /tmp/mergeguard-old).
Decode is compared by the median step, which a stall of the machine moves less than the mean."""
import argparse
import json
import os
import statistics
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def bench(binary, args):
    command = [binary, "bench", "--json", "--prompt", str(args.prompt), "--tokens", str(args.tokens)]
    if args.batch > 1:
        command += ["--batch", str(args.batch)]
    env = dict(os.environ, MERGEGUARD_THREADS=str(args.threads))
    return json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=ROOT).stdout)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--prompt", type=int, default=512)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("binaries", nargs="+")
    args = p.parse_args()
    results = {b: [] for b in args.binaries}
    for _ in range(args.runs):   # alternate so drift in machine load hits every build alike
        for b in args.binaries:
            results[b].append(bench(b, args))
    fields = ["prefill_tokens_per_second", "decode_tokens_per_second_median_step"]
    if args.batch > 1:
        fields.append("batch_decode_tokens_per_second")
    base = {f: statistics.median(r[f] for r in results[args.binaries[0]]) for f in fields}
    print(f"{args.runs} runs alternated; {args.threads} threads; prompt {args.prompt}, decode {args.tokens}"
          + (f", batch {args.batch}" if args.batch > 1 else ""))
    for b in args.binaries:
        cells = []
        for f in fields:
            m = statistics.median(r[f] for r in results[b])
            cells.append(f"{f.replace('_tokens_per_second', '').replace('_', ' ')} {m:.1f} ({m / base[f]:.2f}x)")
        prints = sorted({r["logits_fingerprint"] for r in results[b]})
        print(f"{b}: " + "; ".join(cells) + f"; fingerprint {', '.join(prints)}")


if __name__ == "__main__":
    main()
