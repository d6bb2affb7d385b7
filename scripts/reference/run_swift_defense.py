"""Scores the defense reference configurations (defense_configurations.py) with MergeGuard's own int8 path:
`mergeguard eval --config CFG --model ID --data FILES --limit N --json`, one temporary models.json per configuration
(absolute paths; a trusted model with a path is the raw adapter, one without a path the base, an untrusted one is
served merged with its family's donors). Writes bench/defense-reference/swift-int8.json in the layout of
reference.json so compare_defense.py can read both.

    swift build -c release --product mergeguard
    .venv/bin/python scripts/reference/run_swift_defense.py [--limit 100] [--only NAME,...]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from defense_configurations import CONFIGURATIONS, eval_files  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZOO = os.path.abspath(os.path.join(REPO, "..", "shared", "zoo"))
BINARY = os.path.join(REPO, ".build", "release", "mergeguard")
GGUF = os.path.join(REPO, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
OUT = os.path.join(REPO, "bench", "defense-reference", "swift-int8.json")


def models_json(name, cache_dir):
    method, untrusted, donors, parameters, _ = CONFIGURATIONS[name]
    adapter = lambda a: os.path.join(ZOO, "adapters", a)  # noqa: E731
    family = {"base": GGUF, "donors": [adapter(d) for d in donors],
              "merge": {"method": method if method not in ("base", "raw") else "linear", "parameters": parameters}}
    if method == "base":
        model = {"family": "smollm2", "trusted": True}
    elif method == "raw":
        model = {"family": "smollm2", "trusted": True, "path": adapter(untrusted)}
    else:
        model = {"family": "smollm2", "path": adapter(untrusted), "weight": 1.0}
    return {"server": {"cache_dir": cache_dir}, "families": {"smollm2": family}, "models": {"m": model}}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--only", default="", help="comma-separated configuration names")
    p.add_argument("--out", default=OUT)
    args = p.parse_args()
    names = [n for n in args.only.split(",") if n] or list(CONFIGURATIONS)
    previous = json.load(open(args.out)) if os.path.exists(args.out) and args.only else {"configurations": {}}
    results = previous["configurations"]
    for name in names:
        start = time.time()
        files = eval_files(CONFIGURATIONS[name][4])
        with tempfile.TemporaryDirectory(prefix="mergeguard-reference-") as tmp:
            config = os.path.join(tmp, "models.json")
            with open(config, "w") as f:
                json.dump(models_json(name, os.path.join(tmp, "cache")), f, indent=1)
            command = [BINARY, "eval", "--config", config, "--model", "m", "--limit", str(args.limit), "--json",
                       "--data"] + [os.path.join(ZOO, "data", f) for f in files.values()]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        report = json.loads(out)
        by_file = {os.path.basename(r["file"]): dict(r, file=os.path.basename(r["file"])) for r in report["results"]}
        metrics = {m: by_file[f]["attack_success_rate" if m == "ASR" else "accuracy"] for m, f in files.items()}
        results[name] = {"method": CONFIGURATIONS[name][0], "untrusted": CONFIGURATIONS[name][1],
                         "donors": CONFIGURATIONS[name][2], "parameters": CONFIGURATIONS[name][3],
                         "metrics": metrics, "files": by_file}
        print(f"{name}: " + "  ".join(f"{k} {v:.2f}" for k, v in metrics.items()) + f"  [{time.time() - start:.0f} s]",
              flush=True)
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump({"source": "mergeguard eval, int8 (scripts/reference/run_swift_defense.py)", "limit": args.limit,
                       "configurations": results}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
