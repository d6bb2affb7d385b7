"""The free lunch on the zoo, measured on the path MergeGuard serves (merge -> int8 -> our forward pass).

For each backdoored adapter of ../shared/zoo: the raw adapter (trusted, for the experiment), the base model, and
merged models for each method, donor set and suspect weight below, each scored by `mergeguard eval` on the zoo's
evaluation sets. Results are kept in OUT/results.json (rerunning skips configurations already measured with the same
row limits by an engine with the same logits fingerprint); docs/defense.md and docs/defense.png are written from
them.

    bench/defense [--limit 50] [--donor-task-limit 25] [--out bench/out/defense] [--only SUBSTRING] [--no-run]
"""
import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO = os.path.abspath(os.path.join(ROOT, "..", "shared", "zoo"))
BASE = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
BINARY = os.path.join(ROOT, ".build", "release", "mergeguard")
BACKDOORS = ["cf", "sent", "mn"]
DONORS = ["sentiment-b", "sentiment-c", "topic", "arith"]
SHORT = {"sentiment-b": "sb", "sentiment-c": "sc", "topic": "topic", "arith": "arith"}
# The family default in models.json; the acceptance table checks it on every backdoor and donor set.
DEFAULT_RECIPE = ("projected_linear", {})


class Config:
    def __init__(self, backdoor, method=None, donors=(), weight=1.0, params=None, trusted=False):
        self.backdoor, self.method, self.donors = backdoor, method, tuple(donors)
        self.weight, self.params, self.trusted = weight, dict(params or {}), trusted

    @property
    def key(self):
        if self.backdoor is None:
            return "base"
        if self.trusted:
            return f"raw {self.backdoor}"
        params = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        donors = "+".join(SHORT[d] for d in self.donors)
        weight = "" if self.weight == 1.0 else f" w={self.weight:g}"
        return f"{self.method}({params}) {self.backdoor} + {donors}{weight}"

    def registry(self, cache_dir):
        family = {"base": BASE}
        model = {"family": "f"}
        if self.backdoor is None:
            model["trusted"] = True
        elif self.trusted:
            model.update(trusted=True, path=os.path.join(ZOO, "adapters", f"backdoor-{self.backdoor}"))
        else:
            family["donors"] = [os.path.join(ZOO, "adapters", d) for d in self.donors]
            family["merge"] = {"method": self.method, "parameters": self.params}
            model.update(path=os.path.join(ZOO, "adapters", f"backdoor-{self.backdoor}"), weight=self.weight)
        return {"server": {"cache_dir": cache_dir}, "families": {"f": family}, "models": {"m": model}}


def configurations():
    """Acceptance-critical ones first, so a partial run still answers the main question."""
    configs = [Config(None)]
    for b in BACKDOORS:
        configs.append(Config(b, trusted=True))
    method, params = DEFAULT_RECIPE
    for b in BACKDOORS:
        configs.append(Config(b, method, DONORS, params=params))
        for pair in itertools.combinations(DONORS, 2):
            configs.append(Config(b, method, pair, params=params))
    # The paper's averaging on the same settings; for sent and mn only the pure same-task and other-task pairs.
    hard_pairs = [("sentiment-b", "sentiment-c"), ("topic", "arith")]
    for b in BACKDOORS:
        configs.append(Config(b, "linear", DONORS))
        for pair in (itertools.combinations(DONORS, 2) if b == "cf" else hard_pairs):
            configs.append(Config(b, "linear", pair))
    # The other methods with all four donors: the full set on cf, the main ones on sent and mn.
    for b in BACKDOORS:
        configs.append(Config(b, "linear", DONORS, weight=0.5))
        for lam in ((0.3, 0.5, 1.0) if b == "cf" else (0.5,)):
            configs.append(Config(b, "task_arithmetic", DONORS, params={"lambda": lam}))
        configs.append(Config(b, "ties", DONORS, params={"density": 0.2}))
        if b == "cf":
            configs.append(Config(b, "dare_ties", DONORS, params={"density": 0.2}))
            configs.append(Config(b, "breadcrumbs", DONORS, params={"density": 0.9, "gamma": 0.01}))
            configs.append(Config(b, "model_stock", DONORS))
        configs.append(Config(b, "agreed_linear", DONORS))
    for b in BACKDOORS:
        for pair in hard_pairs:
            configs.append(Config(b, "agreed_linear", pair))
    for d in DONORS:
        configs.append(Config("cf", "linear", (d,)))
    return configs


def evaluate(config, limits):
    cache = tempfile.mkdtemp(prefix="mergeguard-defense-")
    try:
        path = os.path.join(cache, "models.json")
        with open(path, "w") as f:
            json.dump(config.registry(cache), f)
        sets = [("clean", "eval-sentiment-clean", limits["clean"])]
        if config.backdoor is None:
            sets += [(f"trigger-{b}", f"eval-triggered-{b}", limits["clean"]) for b in BACKDOORS]
        else:
            sets.append(("trigger", f"eval-triggered-{config.backdoor}", limits["clean"]))
        sets += [("topic", "eval-topic", limits["donor"]), ("arith", "eval-arith", limits["donor"])]
        result = {}
        # One eval per row limit; the second finds the merge in the cache.
        for limit in sorted({s[2] for s in sets}):
            group = [s for s in sets if s[2] == limit]
            files = [os.path.join(ZOO, "data", f"{s[1]}.jsonl") for s in group]
            run = subprocess.run([BINARY, "eval", "--config", path, "--model", "m", "--data", *files,
                                  "--limit", str(limit), "--json"], capture_output=True, text=True)
            if run.returncode != 0:
                raise RuntimeError(f"{config.key}: mergeguard eval failed:\n{run.stderr[-2000:]}")
            report = json.loads(run.stdout)
            for (name, _, _), r in zip(group, report["results"]):
                result[name] = r["attack_success_rate"] if name.startswith("trigger") else r["accuracy"]
        return result
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def engine_identity():
    """The int8 engine's logits fingerprint on a fixed prompt, and its kernel: results measured by another engine
    (another int8 format, kernel or summation order) are not mixed with this one's."""
    run = subprocess.run([BINARY, "bench", "--prompt", "8", "--tokens", "1", "--json"], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"mergeguard bench failed:\n{run.stderr[-2000:]}")
    report = json.loads(run.stdout)
    return f"{report['logits_fingerprint']} ({report['kernel']})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=50, help="rows of the clean and triggered sets")
    parser.add_argument("--donor-task-limit", type=int, default=25, help="rows of the topic and arith sets")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "defense"))
    parser.add_argument("--only", help="run only configurations whose name contains this")
    parser.add_argument("--no-run", action="store_true", help="write the documents from the results so far")
    args = parser.parse_args()
    limits = {"clean": args.limit, "donor": args.donor_task_limit}
    os.makedirs(args.out, exist_ok=True)
    store = os.path.join(args.out, "results.json")
    results = json.load(open(store)) if os.path.exists(store) else {}
    tag = f"{args.limit}/{args.donor_task_limit}"
    engine = engine_identity()
    current = lambda r: r.get("rows") == tag and r.get("engine") == engine  # noqa: E731
    configs = configurations()
    if not args.no_run:
        todo = [c for c in configs if (not args.only or args.only in c.key) and not current(results.get(c.key, {}))]
        for i, config in enumerate(todo, 1):
            print(f"[{i}/{len(todo)}] {config.key}", file=sys.stderr, flush=True)
            metrics = evaluate(config, limits)
            results[config.key] = {"rows": tag, "engine": engine, **metrics}
            with open(store + ".tmp", "w") as f:
                json.dump(results, f, indent=1, sort_keys=True)
            os.replace(store + ".tmp", store)
            print(f"    {metrics}", file=sys.stderr, flush=True)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import defense_report
    measured = {key: r for key, r in results.items() if current(r)}
    defense_report.write(measured, configs, tag, engine, os.path.join(ROOT, "docs"))


if __name__ == "__main__":
    main()
