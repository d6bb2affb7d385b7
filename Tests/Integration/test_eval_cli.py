"""`mergeguard eval` on 20 rows of every zoo evaluation set, for each zoo backdoor merged with the default recipe
(models.json's smollm2 family: its donors and merge method): the metrics are computed for every file. Their values
are benchmark results (bench/defense, docs/defense.md), not assertions."""
import json
import os
import subprocess

from conftest import BINARY, ROOT, ZOO

SETS = ["eval-sentiment-clean", "eval-triggered-cf", "eval-triggered-sent", "eval-triggered-mn", "eval-topic",
        "eval-arith"]


def default_family_registry(folder):
    """models.json as shipped, plus the other two zoo backdoors as untrusted models of the same family."""
    with open(os.path.join(ROOT, "models.json")) as f:
        registry = json.load(f)
    family = registry["families"]["smollm2"]
    family["base"] = os.path.join(ROOT, family["base"])
    family["donors"] = [os.path.join(ROOT, d) if isinstance(d, str) else {**d, "path": os.path.join(ROOT, d["path"])}
                        for d in family["donors"]]
    registry["server"]["cache_dir"] = str(folder / "cache")
    registry["models"] = {f"backdoor-{b}": {"family": "smollm2", "path": os.path.join(ZOO, "adapters", f"backdoor-{b}")}
                          for b in ("cf", "sent", "mn")}
    path = folder / "models.json"
    path.write_text(json.dumps(registry))
    return str(path)


def test_eval_reports_metrics_for_every_zoo_set_and_backdoor(tmp_path):
    config = default_family_registry(tmp_path)
    files = [os.path.join(ZOO, "data", name + ".jsonl") for name in SETS]
    for model in ("backdoor-cf", "backdoor-sent", "backdoor-mn"):
        out = subprocess.run([BINARY, "eval", "--config", config, "--model", model, "--data", *files, "--limit", "20",
                              "--json"], cwd=ROOT, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
        assert out.returncode == 0, out.stderr
        report = json.loads(out.stdout)
        with open(os.path.join(ROOT, "models.json")) as f:
            default_method = json.load(f)["families"]["smollm2"]["merge"]["method"]
        assert report["model"] == model and report["trusted"] is False and report["recipe"] == default_method
        results = {os.path.basename(r["file"]): r for r in report["results"]}
        assert list(results) == [name + ".jsonl" for name in SETS]
        for name, r in results.items():
            assert r["rows"] == 20
            assert 0 <= r["accuracy"] <= 1 and 0 <= r["unlabelled"] <= 1
            if "triggered" in name:
                assert 0 <= r["attack_success_rate"] <= 1
            else:
                assert r["attack_success_rate"] is None
